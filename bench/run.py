"""Run every benchmark in bench/ and print one summary table.

    make bench            # = uv run python bench/run.py
    uv run python bench/run.py --ingest-count 20000
    uv run python bench/run.py --only list_search --list-count 200000

Each benchmark appends its full result to bench/results/<name>.jsonl (git-ignored).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import ingest
import list_search
import notify
from harness import print_table


def _ingest(args: argparse.Namespace) -> list[dict[str, Any]]:
    result = ingest.main(["--count", str(args.ingest_count), "--label", "run.py"])
    s, b = result["service"], result["baseline"]
    return [
        {
            "bench": "ingest",
            "measure": "case-service end to end",
            "value": s["e2e_rate"],
            "unit": "cases/s",
            "goal": f"≥ {ingest.GOAL_RATE:,.0f}",
            "ok": "yes" if s["e2e_rate"] >= ingest.GOAL_RATE else "NO",
        },
        {
            "bench": "ingest",
            "measure": "baseline (aio-pika + INSERT + ack)",
            "value": b["rate"],
            "unit": "msg/s",
        },
        {
            "bench": "ingest",
            "measure": "end to end / baseline",
            "value": 100 * result["ratio"],
            "unit": "%",
            "goal": f"≥ {100 * ingest.GOAL_RATIO:.0f}",
            "ok": "yes" if result["ratio"] >= ingest.GOAL_RATIO else "NO",
        },
        {
            "bench": "ingest",
            "measure": "case-service peak RSS",
            "value": s["peak_rss_mb"],
            "unit": "MiB",
        },
        {
            "bench": "ingest",
            "measure": "case-service CPU per case",
            "value": s["cpu_ms_per_case"],
            "unit": "ms",
        },
    ]


def _list_search(args: argparse.Namespace) -> list[dict[str, Any]]:
    result = list_search.main(
        [
            "--count",
            str(args.list_count),
            "--seconds",
            str(args.list_seconds),
            "--label",
            "run.py",
        ]
    )
    rows = []
    for r in result["results"]:
        for label, key, met in (
            (f"{result['users']} users, closed loop", "p95_ms", "met"),
            (
                f"{result['users']} users, {result['think']:g} s think time",
                "think_p95_ms",
                "think_met",
            ),
        ):
            rows.append(
                {
                    "bench": "list_search",
                    "measure": f"{r['scenario']}: p95, {label}",
                    "value": r[key],
                    "unit": "ms",
                    "goal": f"≤ {r['goal_p95_ms']:,.0f}",
                    "ok": "yes" if r[met] else "NO",
                }
            )
    return rows


def _notify(args: argparse.Namespace) -> list[dict[str, Any]]:
    result = notify.main(["--count", str(args.notify_count), "--label", "run.py"])
    s, b = result["service"], result["baseline"]
    return [
        {
            "bench": "notify",
            "measure": "notification-service e-mails end to end",
            "value": s["rate"],
            "unit": "e-mails/s",
            "goal": f"≥ {notify.GOAL_RATE:,.0f}",
            "ok": "yes" if s["rate"] >= notify.GOAL_RATE else "NO",
        },
        {"bench": "notify", "measure": "aiosmtplib alone", "value": b["rate"], "unit": "e-mails/s"},
    ]


BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[dict[str, Any]]]] = {
    "ingest": _ingest,
    "list_search": _list_search,
    "notify": _notify,
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks in bench/.")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), default=[])
    parser.add_argument("--ingest-count", type=int, default=50_000)
    parser.add_argument(
        "--list-count", type=int, default=1_000_000, help="cases of list_search (cached)"
    )
    parser.add_argument("--list-seconds", type=float, default=10, help="per list scenario")
    parser.add_argument("--notify-count", type=int, default=3_000, help="e-mails of notify")
    args = parser.parse_args()

    rows: list[dict[str, Any]] = []
    failed = []
    started = time.monotonic()
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"--- {name}", flush=True)
        try:
            rows += bench(args)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            rows.append({"bench": name, "measure": "FAILED"})
    print(f"\n=== benchmarks ({time.monotonic() - started:.0f} s)")
    print_table(
        rows,
        [
            ("bench", "bench"),
            ("measure", "measure"),
            ("value", "value"),
            ("unit", "unit"),
            ("goal", "goal"),
            ("ok", "met"),
        ],
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
