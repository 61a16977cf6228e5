"""Channels: e-mail over SMTP (aiosmtplib) and SMS over an HTTP gateway (46elks by default).

A sender either returns (the server/provider accepted the message), or raises `PermanentFailure`
(it refused this message: sending again cannot help) or `TransientFailure` (it may work later:
the request goes through the delay queues). Other SMS providers plug in behind `SmsProvider`.
"""

import asyncio
import base64
import contextlib
import logging
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import cached_property, lru_cache
from typing import Protocol
from uuid import UUID

import aiosmtplib
import httpx

from notification_service.settings import NotificationSettings
from notification_service.texts import Text

log = logging.getLogger(__name__)


class SendFailure(Exception):
    """A message was not accepted."""


class PermanentFailure(SendFailure):
    """Refused for good (a 5xx SMTP answer, a 4xx from the SMS provider for this request)."""


class TransientFailure(SendFailure):
    """Not accepted now (connection, timeout, 4xx SMTP answer, 5xx/429 from the provider)."""


class Sender(Protocol):
    """One channel."""

    async def send(self, notification_id: UUID, recipient: str, text: Text) -> None: ...

    async def close(self) -> None: ...


class SmtpSender:
    """E-mail through a small pool of kept-open SMTP connections.

    Each connection carries one transaction at a time; a connection that saw an error is closed
    and a fresh one is opened for the next message. The Message-ID is derived from the
    notification id, so a copy sent again after an unrecorded crash can be recognised.
    """

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(max(settings.smtp_connections, 1)):
            self._idle.put_nowait(None)
        self._open: set[aiosmtplib.SMTP] = set()

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_tls,
            start_tls=s.smtp_starttls if not s.smtp_tls else False,
            timeout=s.smtp_timeout_seconds,
        )

    def message(self, notification_id: UUID, recipient: str, text: Text) -> EmailMessage:
        """The message as the email package builds it (used for non-ASCII addresses)."""
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = recipient
        message["Subject"] = text.subject
        message["Message-ID"] = make_msgid(idstring=notification_id.hex, domain=self._domain)
        message.set_content(text.body + FOOTER)
        return message

    @cached_property
    def _envelope_from(self) -> str:
        return parseaddr(self.settings.smtp_from)[1]

    @cached_property
    def _domain(self) -> str:
        return self._envelope_from.rpartition("@")[2] or "localhost"

    def render(self, notification_id: UUID, recipient: str, text: Text) -> bytes:
        """The same message as `message`, rendered from cached parts: the email package's
        header folding costs ~2 ms per message, more than the whole SMTP exchange."""
        sender, subject, body = _parts(self.settings.smtp_from, text.subject, text.body)
        return (
            f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Date: {format_datetime(datetime.now(UTC))}\r\n"
            f"Message-ID: <{notification_id.hex}@{self._domain}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{body}"
        ).encode("ascii")

    async def send(self, notification_id: UUID, recipient: str, text: Text) -> None:
        if any(c in recipient for c in "\r\n<>,") or "@" not in recipient:
            raise PermanentFailure("not an e-mail address")
        client = await self._idle.get()
        try:
            if client is None or not client.is_connected:
                client = self._client()
                await client.connect()
                self._open.add(client)
            if recipient.isascii():
                data = self.render(notification_id, recipient, text)
                errors, _ = await client.sendmail(self._envelope_from, [recipient], data)
            else:  # an internationalised address: SMTPUTF8 through the email package
                message = self.message(notification_id, recipient, text)
                errors, _ = await client.send_message(message)
            if errors:  # some recipients refused while others were accepted (one recipient here)
                raise PermanentFailure(f"recipient refused: {errors}")
        except aiosmtplib.SMTPRecipientsRefused as exc:
            client = await self._discard(client)
            codes = [r.code for r in exc.recipients]
            error = f"recipient refused: {codes}"
            kind = TransientFailure if all(c < 500 for c in codes) else PermanentFailure
            raise kind(error) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are the installation's fault, not the message's: retry.
            client = await self._discard(client)
            raise TransientFailure(f"authentication failed: {exc.code}") from None
        except aiosmtplib.SMTPResponseException as exc:
            client = await self._discard(client)
            failure = PermanentFailure if exc.code >= 500 else TransientFailure
            raise failure(f"{exc.code} {exc.message}"[:300]) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client = await self._discard(client)
            raise TransientFailure(repr(exc)[:300]) from None
        finally:
            self._idle.put_nowait(client)

    async def _discard(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            self._open.discard(client)
            with contextlib.suppress(Exception):
                client.close()
        return None

    async def close(self) -> None:
        for client in list(self._open):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.quit(), 2)
            with contextlib.suppress(Exception):
                client.close()
        self._open.clear()


FOOTER = "\n\nDetta meddelande går inte att svara på.\n"


@lru_cache(maxsize=512)
def _parts(sender: str, subject: str, body: str) -> tuple[str, str, str]:
    """From, Subject (RFC 2047) and the base64 body (CRLF lines) of a text, computed once."""
    name, address = parseaddr(sender)
    encoded_body = base64.encodebytes((body + FOOTER).replace("\n", "\r\n").encode())
    return (
        formataddr((name, address), charset="utf-8"),
        Header(subject, "utf-8").encode(),
        encoded_body.decode("ascii").replace("\n", "\r\n"),
    )


class SmsProvider(Protocol):
    """An SMS gateway."""

    async def send(self, notification_id: UUID, recipient: str, text: Text) -> None: ...

    async def close(self) -> None: ...


# 4xx answers that are about the installation (credentials, credit, rate), not the message.
_TRANSIENT_HTTP = {401, 402, 403, 408, 409, 425, 429}


class FortySixElks:
    """The 46elks SMS API: POST form-encoded `from`, `to`, `message` with basic auth."""

    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(
            auth=(settings.sms_user, settings.sms_password),
            timeout=httpx.Timeout(settings.sms_timeout_seconds),
        )

    async def send(self, notification_id: UUID, recipient: str, text: Text) -> None:
        try:
            response = await self.client.post(
                self.settings.sms_gateway_url,
                data={"from": self.settings.sms_from, "to": recipient, "message": text.body},
            )
        except httpx.HTTPError as exc:
            raise TransientFailure(repr(exc)[:300]) from None
        if response.is_success:
            return
        detail = f"{response.status_code} {response.text[:200]}"
        if response.status_code >= 500 or response.status_code in _TRANSIENT_HTTP:
            raise TransientFailure(detail)
        raise PermanentFailure(detail)

    async def close(self) -> None:
        await self.client.aclose()
