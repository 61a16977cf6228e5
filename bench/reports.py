"""Excel exports and the statistics overview (issue 6).

- `header`: 100,000 cases × 12 header columns through report-service's builder (the cells as
  reports write them: text-typed user data, Swedish-time dates), beside XlsxWriter alone
  (constant_memory, `write_row`) and openpyxl write-only (the writer before) writing the same
  rows from memory. Goal ≤ 8 s, ≤ 100 MB peak RSS.
- `form`: 5,000 cases × 60 form fields the same three ways. Goal ≤ 3 s.
- `overview`: the Statistik overview read from report-service's counters with 1M cases'
  facts in its database (50 case types, 3 business areas), p50/p95 of 200 reads. Goal p95 ≤
  10 ms.

Each writer runs in a fresh child process (peak RSS is its VmHWM). The case source of the
builder is in memory (the HTTP pages of case-service's export API are not part of the figure;
STACK-NOTES: fetching 100k rows costs ~0.3 s). Usage:

    uv run python bench/reports.py                 # all three
    uv run python bench/reports.py --only header --cases 20000
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import append_result, isolated_env, percentile, print_table

START = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
KINDS = {
    "ours": "report-service builder (XlsxWriter)",
    "xlsxwriter": "XlsxWriter constant_memory alone, same rows",
    "openpyxl": "openpyxl write-only + lxml, same rows",
}
STATUSES = ("submitted", "assigned", "in_progress", "decided", "closed", "archived")


def _case(i: int, fields: int) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": 10_000 + i,
        "case_type_name": "Anmälan till flexlinjen",
        "title": f"Ansökan om färdtjänst {i}" if i % 50 else f'=HYPERLINK("x","{i}")',
        "status": STATUSES[i % len(STATUSES)],
        "submitted_at": (START + timedelta(minutes=i)).isoformat(),
        "updated_at": (START + timedelta(minutes=i, hours=5)).isoformat(),
        "submitter_kind": "citizen",
        "submitter_personal_number": "191212121212",
        "submitter_name": "Carin Testare",
        "handler": "hanna" if i % 3 else None,
        "reference": f"DNR-2026-{i:05d}" if i % 4 else None,
        "organization_name": "Trafikkontoret",
        "business_area": "Centrum",
    }
    if fields:
        case["form"] = [
            {
                "section": f"Avsnitt {s}",
                "fields": [
                    {"key": f"f{s}_{k}", "label": f"Fält {s}.{k}", "value": f"svar {i} {k}"}
                    for k in range(10)
                ],
            }
            for s in range(fields // 10)
        ]
    return case


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, cases: int, fields: int) -> dict[str, Any]:
    """One measurement in this (fresh) process; the workbook is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        return measure(kind, cases, fields, Path(folder) / "bench.xlsx")


def measure(kind: str, cases: int, fields: int, path: Path) -> dict[str, Any]:
    # Imports first: the figure is the writing, not the start of a process. Every child imports
    # report-service (the same base in each peak); only the reference's own writer is added.
    from arende_contracts.events import ReportRequestedData
    from report_service.builder import build_cases

    if kind == "openpyxl":
        from openpyxl import Workbook
    elif kind == "xlsxwriter":
        import xlsxwriter

    started = time.perf_counter()
    if kind == "ours":

        class Source:
            async def count(self, order: Any) -> int:
                return cases

            async def pages(self, order: Any) -> AsyncIterator[list[dict[str, Any]]]:
                for first in range(0, cases, 1000):
                    yield [_case(i, fields) for i in range(first, min(first + 1000, cases))]

        order = ReportRequestedData(
            report_id="00000000-0000-0000-0000-000000000000",
            kind="cases",
            ordered_by="bench",
            case_type="flexlinjen",
            name="bench",
            include_form_data=bool(fields),
        )

        async def progress(done: int) -> None:
            return None

        async def build() -> tuple[int, float]:
            built = await build_cases(order, Source(), progress, form_limit=cases)  # type: ignore[arg-type]
            # The peak while the service builds (what a long-running process sees); the
            # teardown of this short-lived process's event loop is not part of it.
            return len(built.data), _peak_mb()

        size, peak = asyncio.run(build())
        return {"seconds": time.perf_counter() - started, "peak_mb": peak, "bytes": size}
    else:

        def rows() -> Iterator[list[Any]]:
            for i in range(cases):
                case = _case(i, fields)
                row = [
                    case["id"], case["case_type_name"], case["title"], case["status"],
                    datetime.fromisoformat(case["submitted_at"]).replace(tzinfo=None),
                    datetime.fromisoformat(case["updated_at"]).replace(tzinfo=None),
                    case["submitter_personal_number"], case["submitter_name"], case["handler"],
                    case["reference"], case["organization_name"], case["business_area"],
                ]  # fmt: skip
                for section in case.get("form", []):
                    row += [f["value"] for f in section["fields"]]
                yield row

        if kind == "xlsxwriter":
            options = {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "default_date_format": "yyyy-mm-dd hh:mm",
                "tmpdir": str(path.parent),
            }
            book = xlsxwriter.Workbook(str(path), options)
            worksheet = book.add_worksheet("Ärenden")
            for index, row in enumerate(rows()):
                worksheet.write_row(index, 0, row)
            book.close()
        else:
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("Ärenden")
            for row in rows():
                sheet.append(row)
            workbook.save(path)
        size = path.stat().st_size
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "bytes": size}


def run_child(kind: str, cases: int, fields: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--cases", str(cases), "--fields", str(fields)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def overview(facts: int, reads: int) -> dict[str, Any]:
    """p50/p95 of the Statistik overview with `facts` cases in report-service's database."""
    import asyncpg

    from arende_contracts.access import Actor, Grant
    from arende_platform.db import create_engine, create_sessionmaker, migrate
    from arende_platform.settings import PlatformSettings
    from report_service.app import MIGRATIONS
    from report_service.statistics import overview as read_overview

    with isolated_env("reports") as env:
        settings = PlatformSettings(database_url=env.database_url, rabbitmq_url=env.rabbitmq_url)
        url = settings.service_database_url("report")
        await migrate(MIGRATIONS, url)
        conn = await asyncpg.connect(env.dsn("report"))
        try:
            started = time.perf_counter()
            # Facts as the consumer writes them; the counters as the trigger keeps them (bulk
            # here: a million trigger calls would only measure the load, not the read).
            await conn.execute("ALTER TABLE case_facts DISABLE TRIGGER case_facts_counts")
            await conn.execute(
                "INSERT INTO case_facts (case_id, case_type, organization, business_area, status,"
                " submitted_at, updated_at)"
                " SELECT g, 'typ-' || (g % 50), 'org-' || (g % 5),"
                " (ARRAY['Centrum','Hisingen','Angered'])[1 + g % 3],"
                " (ARRAY['submitted','assigned','in_progress','decided','closed','archived',"
                "  'purged'])[1 + g % 7],"
                " now() - (g % 1500) * interval '1 day', now()"
                " FROM generate_series(1, $1) g",
                facts,
            )
            await conn.execute(
                "INSERT INTO case_totals (case_type, organization, business_area, status, n)"
                " SELECT case_type, organization, coalesce(business_area, ''), status, count(*)"
                " FROM case_facts GROUP BY 1, 2, 3, 4"
            )
            await conn.execute("ALTER TABLE case_facts ENABLE TRIGGER case_facts_counts")
            await conn.execute("ANALYZE")
            load = time.perf_counter() - started
        finally:
            await conn.close()
        engine = create_engine(url, 2, 0)
        sessions = create_sessionmaker(engine)
        actor = Actor(
            username="bench",
            grants=[Grant(organization=f"org-{o}", role="reviewer") for o in (0, 1, 2)],
        )
        timings = []
        try:
            for i in range(reads):
                t = time.perf_counter()
                async with sessions() as session:
                    body = await read_overview(
                        session, actor, business_area="Centrum" if i % 2 else None
                    )
                timings.append((time.perf_counter() - t) * 1000)
        finally:
            await engine.dispose()
        return {
            "facts": facts,
            "load_s": load,
            "p50_ms": percentile(timings, 50),
            "p95_ms": percentile(timings, 95),
            "rows": len(body["rows"]),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=("header", "form", "overview"))
    parser.add_argument("--cases", type=int)
    parser.add_argument("--fields", type=int, default=0)
    parser.add_argument("--child", choices=KINDS)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.cases, args.fields)))
        return
    table: list[list[Any]] = []
    record: dict[str, Any] = {}
    for name, cases, fields, goal in (
        ("header", args.cases or 100_000, 0, "≤ 8 s, ≤ 100 MB"),
        ("form", args.cases or 5_000, 60, "≤ 3 s"),
    ):
        if args.only and args.only != name:
            continue
        for kind, label in KINDS.items():
            result = run_child(kind, cases, fields)
            record[f"{name}_{kind}"] = result
            table.append(
                [
                    f"{name}: {cases:,} × {12 + fields}",
                    label,
                    f"{result['seconds']:.2f} s",
                    f"{result['peak_mb']:.0f} MB",
                    goal if kind == "ours" else "",
                ]
            )
    if not args.only or args.only == "overview":
        result = asyncio.run(overview(args.facts, args.reads))
        record["overview"] = result
        table.append(
            [
                f"overview: {result['facts']:,} cases",
                f"counters ({result['rows']} case types)",
                f"p50 {result['p50_ms']:.2f} ms",
                f"p95 {result['p95_ms']:.2f} ms",
                "p95 ≤ 10 ms",
            ]
        )
    keys = ("bench", "what", "time", "memory", "goal")
    print_table(
        [dict(zip(keys, row, strict=True)) for row in table],
        [(k, "peak RSS / p95" if k == "memory" else k) for k in keys],
    )
    append_result("reports", record)


if __name__ == "__main__":
    main()
