"""A service's helper processes (outbox relay, PDF renderer) die with it, even on kill -9, so
`make down` never leaves strays behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from arende_platform.testing import TestEnvironment

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(c) for c in text)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
    return state != "Z"


def test_helpers_die_with_a_killed_service(test_env: TestEnvironment) -> None:
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, **test_env.environ(CASE_SERVICE_PORT=str(port))}
    service = subprocess.Popen(
        [str(Path(sys.executable).parent / "case-service")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("case-service did not become ready")
        helpers = _children(service.pid)
        assert helpers, "the outbox relay should run in a process of its own"
        service.send_signal(signal.SIGKILL)
        service.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in helpers if _alive(p)]
    finally:
        if service.poll() is None:
            service.kill()
