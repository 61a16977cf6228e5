"""Helper processes of a service never outlive it."""

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (even by SIGKILL)."""
    if sys.platform != "linux":  # pragma: no cover - the services run on Linux
        return
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have died before the request took effect.
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
