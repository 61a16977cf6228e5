"""Password hashing with argon2id (RFC 9106 low-memory profile, argon2-cffi's default)."""

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class Passwords:
    """Hashes and verifies passwords off the event loop, a few at a time.

    One argon2id hash takes ~0.15 s of CPU and 64 MiB of memory, so hashing runs in worker
    threads and a semaphore bounds how many run at once (a burst of logins must not exhaust
    the memory of the pod).
    """

    def __init__(self, concurrency: int = 4) -> None:
        self._hasher = PasswordHasher()
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """The PHC string of a new password."""
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if `password` matches; without a hash it still spends the same time, then fails.

        Verifying unknown usernames against a dummy hash keeps the answer time of "no such
        user" and "wrong password" alike, so the login does not reveal which accounts exist.
        """
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
            await self._verify(self._dummy_hash, password)
            return False
        return await self._verify(password_hash, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            try:
                return await asyncio.to_thread(self._hasher.verify, password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(password_hash)
