"""Run every benchmark in bench/ and print one summary table.

    make bench            # = uv run python bench/run.py
    uv run python bench/run.py --ingest-count 20000

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


BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[dict[str, Any]]]] = {
    "ingest": _ingest,
}


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks in bench/.")
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), default=[])
    parser.add_argument("--ingest-count", type=int, default=50_000)
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
