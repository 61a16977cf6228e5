"""Small shared helpers of the benchmarks in bench/.

Each benchmark run gets a RabbitMQ vhost and a database prefix of its own (like a test session,
see arende_platform.testing), removed at the end even when the run fails. Nothing here touches
an installation's vhost "/" or its databases.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import asyncpg
import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = ROOT / ".venv" / "bin"

SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432")
BROKER = os.environ.get("BENCH_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672")
BROKER_USER = os.environ.get("BENCH_RABBITMQ_USER", "guest")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- isolated vhost and database prefix ------------------------------------------------------


def rabbitmqctl(*args: str) -> str:
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    done = subprocess.run(
        [ctl, "-q", *args], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


@dataclass(frozen=True)
class BenchEnv:
    """Where one benchmark run's services connect to."""

    vhost: str
    db_prefix: str

    @property
    def rabbitmq_url(self) -> str:
        return f"{BROKER}/{quote(self.vhost, safe='')}"

    @property
    def database_url(self) -> str:
        """DATABASE_URL of the services: each one derives `<prefix>_<service>` from it."""
        return f"{SERVER}/{self.db_prefix}"

    def dsn(self, suffix: str) -> str:
        """asyncpg DSN of the database `<prefix>_<suffix>`."""
        return f"{SERVER}/{self.db_prefix}_{suffix}"


def create_env(name: str) -> BenchEnv:
    token = uuid.uuid4().hex[:8]
    env = BenchEnv(vhost=f"bench-{name}-{token}", db_prefix=f"bench_{token}")
    rabbitmqctl("add_vhost", env.vhost)
    rabbitmqctl("set_permissions", "-p", env.vhost, BROKER_USER, ".*", ".*", ".*")
    return env


async def drop_databases(prefix: str) -> list[str]:
    """Drop every database named `<prefix>_…`; return their names."""
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", f"{prefix}\\_%"
        )
        for row in rows:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        return [r["datname"] for r in rows]
    finally:
        await conn.close()


def _run_blocking(coro: Any) -> Any:
    """Run a coroutine to completion, also from inside a running event loop (in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def destroy_env(env: BenchEnv) -> None:
    """Delete the vhost (with its queues) and the prefix's databases; report, never raise."""
    try:
        rabbitmqctl("delete_vhost", env.vhost)
    except Exception as exc:
        print(f"warning: could not delete vhost {env.vhost}: {exc}", file=sys.stderr)
    try:
        _run_blocking(drop_databases(env.db_prefix))
    except Exception as exc:
        print(f"warning: could not drop databases {env.db_prefix}_*: {exc}", file=sys.stderr)


@contextlib.contextmanager
def isolated_env(name: str) -> Iterator[BenchEnv]:
    """A vhost and a database prefix for one run, removed afterwards whatever happens."""
    env = create_env(name)
    try:
        yield env
    finally:
        destroy_env(env)


async def checkpoint() -> None:
    """Flush dirty pages so that one timed phase does not pay for the previous one's writes."""
    conn = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


# --- statistics and output ---------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # nan
            return "–"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "–" if value is None else str(value)


def print_table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    out: TextIO = sys.stdout,
) -> None:
    """Print rows as an aligned table; `columns` are (key, header); numbers right-aligned."""
    rows = list(rows)
    cells = [[_cell(r.get(key)) for key, _ in columns] for r in rows]
    headers = [h for _, h in columns]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    numeric = [
        [
            isinstance(r.get(key), (int, float)) and not isinstance(r.get(key), bool)
            for key, _ in columns
        ]
        for r in rows
    ]

    def line(values: Sequence[str], right: Sequence[bool]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, right, strict=True)
        ).rstrip()

    print(line(headers, [False] * len(headers)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for c, right in zip(cells, numeric, strict=True):
        print(line(c, right), file=out)


def _git_commit() -> str | None:
    with contextlib.suppress(Exception):
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return None


def append_result(bench: str, record: dict[str, Any]) -> Path:
    """Append one JSON line (with time, commit and machine) to bench/results/<bench>.jsonl."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{bench}.jsonl"
    entry = {
        "bench": bench,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        **record,
    }
    with path.open("a") as f:
        f.write(json.dumps(entry, default=str) + "\n")
    return path


# --- processes -----------------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (VmHWM) of a live process in MiB; read it before it exits."""
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else kb / 1024


def rss_mb(pid: int) -> float | None:
    kb = _status_kb(pid, "VmRSS")
    return None if kb is None else kb / 1024


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_by_command(commands: Sequence[str]) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each live process whose comm is one of `commands`, by pid."""
    found: dict[str, dict[int, float]] = {c: {} for c in commands}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                raw = f.read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        if comm in found:
            fields = raw.rsplit(")", 1)[1].split()
            found[comm][int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuMeter:
    """Cores used between start() and stop(): the machine, the processes under test, RabbitMQ,
    PostgreSQL (all its processes), this benchmark itself, and everything else ("other": other
    programs on the machine, which make the figures unreliable when they are busy).

    Per process, only CPU used inside the interval counts: a process that started during it
    counts from zero, one that ended during it is left out (its last share is lost).
    """

    pids: list[int] = field(default_factory=list)
    _start: dict[str, dict[int, float]] = field(default_factory=dict)
    _start_machine: float = 0.0
    _wall: float = 0.0

    def _sample(self) -> tuple[float, dict[str, dict[int, float]]]:
        busy, _ = machine_cpu()
        by_command = cpu_by_command(("beam.smp", "postgres"))
        parts = {
            "rabbitmq": by_command["beam.smp"],
            "postgres": by_command["postgres"],
            "bench": {os.getpid(): cpu_seconds(os.getpid()) or 0.0},
            "process": {pid: cpu_seconds(pid) or 0.0 for pid in self.pids},
        }
        return busy, parts

    def start(self) -> None:
        self._start_machine, self._start = self._sample()
        self._wall = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Average cores used over the interval, per part (2.0 = both cores of the machine)."""
        machine, parts = self._sample()
        wall = max(time.monotonic() - self._wall, 1e-9)
        cores = {"machine": (machine - self._start_machine) / wall}
        for name, pids in parts.items():
            before = self._start.get(name, {})
            used = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
            cores[name] = max(used, 0.0) / wall
        if not self.pids:
            del cores["process"]
        known = sum(v for k, v in cores.items() if k != "machine")
        cores["other"] = max(cores["machine"] - known, 0.0)
        return {k: round(v, 2) for k, v in cores.items()}


def background_cores(seconds: float = 1.0) -> float:
    """Cores busy on the machine right now (measure before a run: should be near 0)."""
    before, _ = machine_cpu()
    time.sleep(seconds)
    after, _ = machine_cpu()
    return (after - before) / seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """A service run as a child process (its console script), stopped with SIGTERM."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = {**os.environ, **env}
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        RESULTS_DIR.mkdir(exist_ok=True)
        self.log_path = RESULTS_DIR / f"{name}-{port}.log"
        self.started_at = 0.0
        self.peak_rss_mb: float | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.started_at = time.time()
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        log.close()

    async def wait_ready(self, timeout: float = 90) -> float:
        """Wait for /readyz to answer 200; return the (epoch) time it did."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=2) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with {self.proc.returncode}; "
                        f"see {self.log_path}:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/readyz")).status_code == 200:
                        return time.time()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready in {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (SIGKILL after `timeout`); remembers the peak RSS read just before."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.peak_rss_mb = peak_rss_mb(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def discard_log(self) -> None:
        self.log_path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(FileNotFoundError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def venv_script(name: str) -> str:
    """Path of a console script of the workspace's virtual environment."""
    path = VENV_BIN / name
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `uv sync` first")
    return str(path)
