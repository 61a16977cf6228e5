"""A retention run: plan what is due, then archive and purge in batches; log it all.

retention-service decides (which case types, which cut-offs, legal holds, retention
decisions); case-service acts on its own rows (docs/decisions/0008-retention.md).

- Two runs never overlap: a run holds a PostgreSQL session advisory lock for its whole length;
  the lock goes with the connection if the process dies.
- A real run first writes its plan (every case it will archive or purge) as `run_items`, then
  works through them in batches, recording each batch's outcome after case-service committed
  it. A run interrupted by a crash is resumed at start-up: commands are idempotent (a case
  already archived or already gone counts as done by this run, which planned it), so the counts
  come out the same as for an uninterrupted run.
- Purging comes first: a case due for both archiving and purging (the first run after go-live,
  or a case type with short times) is purged directly, and its archive item is done with it in
  the same transaction; archiving it first would only write what the purge deletes at once.
  The archive batches then handle the rest: cases due for archiving only, held and refused ones.
- A dry run computes the same plan with the same code and stops there, so it lists exactly what
  a real run would do now.
- Purging needs the case type's retention decision; without one the cases are counted as
  refused and logged. A case under legal hold is never purged: holds are checked when planning
  and again for every batch, under a lock that placing a hold waits for.
"""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Text, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from retention_service import metrics
from retention_service.client import CaseServiceClient, retried
from retention_service.models import LegalHold, Purge, PurgeConfirmation, Run, RunItem, RunRule
from retention_service.residents import ResidentRecords

log = logging.getLogger(__name__)

RUN_LOCK = 7_265_746_001  # pg advisory lock: one run at a time
HOLD_LOCK = 7_265_746_002  # purge batches (shared) against placing a hold (exclusive)
ACTIONS = ("purge", "archive")  # in this order: see the module's docstring
COUNTS = ("archived", "purged", "held", "refused", "skipped")


class RunInProgress(Exception):
    """Another run holds the lock."""


@dataclass
class RulePlan:
    """What one case type's rule makes due now."""

    rule: dict[str, Any]
    archive_before: datetime
    purge_before: datetime
    archive: list[int] = field(default_factory=list)
    purge: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def _ids(values: Sequence[int]) -> Any:
    return literal(list(values), ARRAY(BIGINT))


def active_hold(at: datetime) -> Any:
    return or_(LegalHold.until.is_(None), LegalHold.until > at)


class Retention:
    """Runs (planned, resumed, dry) against case-service, logged in the service's database."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        case_service: CaseServiceClient,
        batch_size: int,
        concurrency: int = 1,
        confirming_services: Sequence[str] = (),
        resident_record_days: int = 730,
        timezone: str = "Europe/Stockholm",
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.case_service = case_service
        self.batch_size = batch_size
        self.concurrency = concurrency
        # Shown with 0 until they confirm, so a service that never does stands out.
        self.confirming_services = list(confirming_services)
        # Expired shares and the resident audit: one step after the case batches.
        self.resident_records = ResidentRecords(
            sessions, case_service, resident_record_days, timezone, batch_size
        )

    # --- the lock ------------------------------------------------------------------------

    async def lock(self, wait: bool = False) -> AsyncConnection:
        """A connection holding the run lock; RunInProgress when taken and not `wait`."""
        conn = await self.engine.connect()
        try:
            while True:
                got = (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK})
                ).scalar_one()
                await conn.commit()
                if got:
                    return conn
                if not wait:
                    raise RunInProgress
                await asyncio.sleep(1)
        except BaseException:
            await conn.close()
            raise

    async def unlock(self, conn: AsyncConnection) -> None:
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK})
            await conn.commit()
            await conn.close()
        except Exception:
            # A pooled connection must never keep the lock: drop it instead of returning it.
            await conn.invalidate()
            raise

    # --- planning --------------------------------------------------------------------------

    async def plan(self, as_of: datetime) -> list[RulePlan]:
        """Per case type: what is due for archiving and purging at `as_of`."""
        plans = []
        for rule in await self.case_service.rules():
            plan = RulePlan(
                rule=rule,
                archive_before=as_of - timedelta(days=rule["archive_days"]),
                purge_before=as_of - timedelta(days=rule["purge_days"]),
            )
            due = await self.case_service.due(
                rule["case_type"], plan.archive_before, plan.purge_before
            )
            plan.archive = due["archive"]
            if not rule["retention_decision"]:
                plan.refused = due["purge"]
            elif due["purge"]:
                async with self.sessions() as session:
                    held = set(
                        (
                            await session.execute(
                                select(LegalHold.case_id).where(
                                    LegalHold.case_id == func.any(_ids(due["purge"])),
                                    active_hold(as_of),
                                )
                            )
                        ).scalars()
                    )
                plan.held = [i for i in due["purge"] if i in held]
                plan.purge = [i for i in due["purge"] if i not in held]
            if plan.refused:
                log.warning(
                    "purge refused: case type has no retention decision",
                    extra={"case_type": rule["case_type"], "cases": len(plan.refused)},
                )
            plans.append(plan)
        return plans

    # --- running ---------------------------------------------------------------------------

    async def run(self, *, dry_run: bool, trigger: str, requested_by: str | None) -> dict[str, Any]:
        """Take the lock, run, release; RunInProgress if another run holds it."""
        conn = await self.lock()
        try:
            return await self.run_locked(
                dry_run=dry_run, trigger=trigger, requested_by=requested_by
            )
        finally:
            await self.unlock(conn)

    async def run_locked(
        self, *, dry_run: bool, trigger: str, requested_by: str | None
    ) -> dict[str, Any]:
        started = time.monotonic()
        as_of = datetime.now(UTC)
        run_id = uuid4()
        async with self.sessions() as session, session.begin():
            session.add(
                Run(
                    id=run_id,
                    trigger=trigger,
                    requested_by=requested_by,
                    dry_run=dry_run,
                    status="running",
                    as_of=as_of,
                    started_at=as_of,
                )
            )
        try:
            plans = await self.plan(as_of)
            if dry_run:
                return await self._log_dry_run(run_id, plans, started)
            await self._save_plan(run_id, plans)
        except Exception as exc:
            await self._fail(run_id, exc, dry_run, started)
            raise
        return await self.execute(run_id, started)

    async def _log_dry_run(
        self, run_id: UUID, plans: list[RulePlan], started: float
    ) -> dict[str, Any]:
        await self.resident_records.count(run_id)
        async with self.sessions() as session, session.begin():
            for p in plans:
                session.add(self._rule_row(run_id, p, archived=len(p.archive), purged=len(p.purge)))
            await session.flush()
            await self._finish(session, run_id, "succeeded", None)
        metrics.RUN_DURATION.observe(time.monotonic() - started)
        metrics.RUNS.labels("succeeded", "true").inc()
        cases = {
            "archive": sorted(i for p in plans for i in p.archive),
            "purge": sorted(i for p in plans for i in p.purge),
            "held": sorted(i for p in plans for i in p.held),
            "refused": sorted(i for p in plans for i in p.refused),
        }
        return {**await self.describe(run_id), "cases": cases}

    @staticmethod
    def _rule_row(run_id: UUID, p: RulePlan, **counts: int) -> RunRule:
        return RunRule(
            run_id=run_id,
            case_type=p.rule["case_type"],
            organization=p.rule["organization"],
            retention_decision=p.rule["retention_decision"],
            archive_days=p.rule["archive_days"],
            purge_days=p.rule["purge_days"],
            archive_before=p.archive_before,
            purge_before=p.purge_before,
            held=len(p.held),
            refused=len(p.refused),
            **counts,
        )

    async def _save_plan(self, run_id: UUID, plans: list[RulePlan]) -> None:
        async with self.sessions() as session, session.begin():
            for p in plans:
                session.add(self._rule_row(run_id, p))
            await session.flush()
            for p in plans:
                for action, ids, outcome in (
                    ("archive", p.archive, None),
                    ("purge", p.purge, None),
                    ("purge", p.held, "held"),
                    ("purge", p.refused, "refused"),
                ):
                    if not ids:
                        continue
                    rows = select(
                        literal(run_id).label("run_id"),
                        literal(action, Text).label("action"),
                        func.unnest(_ids(ids)).label("case_id"),
                        literal(p.rule["case_type"], Text).label("case_type"),
                        literal(outcome, Text).label("outcome"),
                    )
                    await session.execute(
                        insert(RunItem).from_select(
                            ["run_id", "action", "case_id", "case_type", "outcome"], rows
                        )
                    )
            # Statistics for the plan just written: without them the planner takes the table
            # for empty and marks each batch's items by reading every item of the action
            # (bitmap scan on run_id and action, case_id as a filter) — quadratic in the run.
            await session.execute(text("ANALYZE run_items"))

    async def execute(self, run_id: UUID, started: float | None = None) -> dict[str, Any]:
        """Work through a saved plan (a new run, or one resumed after a crash)."""
        started = time.monotonic() if started is None else started
        try:
            async with self.sessions() as session:
                cutoffs = {
                    r.case_type: {"archive": r.archive_before, "purge": r.purge_before}
                    for r in (
                        await session.execute(select(RunRule).where(RunRule.run_id == run_id))
                    ).scalars()
                }
            for action in ACTIONS:
                after: int | None = 0
                while after is not None:
                    after = await self._next_batch(run_id, action, cutoffs, after)
            await self.resident_records.purge(run_id)
        except Exception as exc:
            await self._fail(run_id, exc, False, started)
            raise
        cases = await self._close(run_id, "succeeded", None)
        metrics.RUN_DURATION.observe(time.monotonic() - started)
        metrics.RUNS.labels("succeeded", "false").inc()
        metrics.LAST_SUCCESS.set(time.time())
        return {**await self.describe(run_id), "cases": cases}

    async def _next_batch(
        self, run_id: UUID, action: str, cutoffs: dict[str, dict[str, datetime]], after: int
    ) -> int | None:
        """Carry out the next batches of the plan after case id `after` (up to `concurrency`
        commands at once, so case-service and the database work while the other waits);
        None when the plan has no more."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(RunItem.case_id, RunItem.case_type)
                    .where(
                        RunItem.run_id == run_id,
                        RunItem.action == action,
                        RunItem.case_id > after,
                        RunItem.outcome.is_(None),
                    )
                    .order_by(RunItem.case_id)
                    .limit(self.batch_size * self.concurrency)
                )
            ).all()
        if not rows:
            return None
        per_type: dict[str, list[int]] = defaultdict(list)
        for case_id, case_type in rows:
            per_type[case_type].append(case_id)
        batches = [
            (case_type, ids[i : i + self.batch_size])
            for case_type, ids in per_type.items()
            for i in range(0, len(ids), self.batch_size)
        ]
        results = await asyncio.gather(
            *(
                self._carry_out(run_id, action, ids, cutoffs[case_type])
                for case_type, ids in batches
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return int(rows[-1].case_id)

    async def _carry_out(
        self, run_id: UUID, action: str, ids: list[int], cutoffs: dict[str, datetime]
    ) -> None:
        """One command to case-service and its outcome, recorded in one transaction."""
        async with self.sessions() as session, session.begin():
            held: list[int] = []
            if action == "purge":
                # Placing a hold waits for this batch; a hold placed before it is seen here.
                await session.execute(
                    text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": HOLD_LOCK}
                )
                held = list(
                    (
                        await session.execute(
                            select(LegalHold.case_id).where(
                                LegalHold.case_id == func.any(_ids(ids)),
                                active_hold(datetime.now(UTC)),
                            )
                        )
                    ).scalars()
                )
                await self._mark(session, run_id, action, held, "held")
            held_set = set(held)
            todo = [i for i in ids if i not in held_set]
            answer = await self._command(action, todo, cutoffs) if todo else {}
            fresh = answer.get("archived" if action == "archive" else "purged", [])
            done = sorted([*fresh, *answer.get("already", [])])
            await self._mark(session, run_id, action, done, "done")
            await self._mark(session, run_id, action, answer.get("skipped", []), "skipped")
            archived_too = 0
            if action == "purge" and done:
                # Purged before its archive batch came: that item is done with it.
                archived_too = await self._mark(session, run_id, "archive", fresh, "done")
                await self._mark(session, run_id, "archive", answer.get("already", []), "done")
                await session.execute(
                    pg_insert(Purge)
                    .from_select(
                        ["case_id", "run_id"],
                        select(func.unnest(_ids(done)), literal(run_id)),
                    )
                    .on_conflict_do_nothing()
                )
        if action == "archive":
            metrics.ARCHIVED.inc(len(fresh))
        else:
            metrics.PURGED.inc(len(fresh))
            metrics.ARCHIVED.inc(archived_too)

    async def _command(
        self, action: str, ids: list[int], cutoffs: dict[str, datetime]
    ) -> dict[str, Any]:
        """One command to case-service, retried over a short outage."""
        archive_before = cutoffs["archive"] if action == "purge" else None
        return await retried(
            lambda: self.case_service.command(action, ids, cutoffs[action], archive_before),
            "retention command",
        )

    @staticmethod
    async def _mark(
        session: AsyncSession, run_id: UUID, action: str, ids: Sequence[int], outcome: str
    ) -> int:
        """Record the outcome of these items that have none yet; how many there were."""
        if not ids:
            return 0
        result = await session.execute(
            update(RunItem)
            .where(
                RunItem.run_id == run_id,
                RunItem.action == action,
                RunItem.case_id == func.any(_ids(ids)),
                RunItem.outcome.is_(None),
            )
            .values(outcome=outcome)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _close(self, run_id: UUID, status: str, error: str | None) -> dict[str, list[int]]:
        """Count the items into the log, forget them, and end the run."""
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(RunItem.case_type, RunItem.action, RunItem.outcome, RunItem.case_id)
                    .where(RunItem.run_id == run_id)
                    .order_by(RunItem.case_id)
                )
            ).all()
            per_rule: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
            cases: dict[str, list[int]] = {k: [] for k in ("archive", "purge", "held", "refused")}
            for r in rows:
                counts = per_rule[r.case_type]
                if r.outcome == "done":
                    counts["archived" if r.action == "archive" else "purged"] += 1
                    cases[r.action].append(r.case_id)
                elif r.outcome in ("held", "refused"):
                    counts[r.outcome] += 1
                    cases[r.outcome].append(r.case_id)
                elif r.outcome == "skipped":
                    counts["skipped"] += 1
            for case_type, counts in per_rule.items():
                await session.execute(
                    update(RunRule)
                    .where(RunRule.run_id == run_id, RunRule.case_type == case_type)
                    .values(**counts)
                )
            await session.execute(RunItem.__table__.delete().where(RunItem.run_id == run_id))
            await self._finish(session, run_id, status, error)
        return cases

    @staticmethod
    async def _finish(session: AsyncSession, run_id: UUID, status: str, error: str | None) -> None:
        totals = (
            await session.execute(
                select(*(func.coalesce(func.sum(getattr(RunRule, c)), 0) for c in COUNTS)).where(
                    RunRule.run_id == run_id
                )
            )
        ).one()
        await session.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(
                status=status,
                error=error,
                finished_at=func.clock_timestamp(),
                **dict(zip(COUNTS, totals, strict=True)),
            )
        )

    async def _fail(self, run_id: UUID, exc: Exception, dry_run: bool, started: float) -> None:
        log.error("retention run failed", extra={"run_id": str(run_id), "error": repr(exc)[:300]})
        error = str(exc)[:500] or type(exc).__name__
        await self._close(run_id, "failed", error)
        metrics.RUN_DURATION.observe(time.monotonic() - started)
        metrics.RUNS.labels("failed", str(dry_run).lower()).inc()

    async def resume_interrupted(self) -> list[dict[str, Any]]:
        """Finish real runs a crash left running (the caller holds the lock)."""
        async with self.sessions() as session, session.begin():
            # A dry run, or a run stopped before its plan was saved (rules and items are saved
            # together), has nothing to resume: it is logged as interrupted.
            planned = select(RunRule.run_id).where(RunRule.run_id == Run.id).exists()
            await session.execute(
                update(Run)
                .where(Run.status == "running", Run.dry_run.is_(True) | ~planned)
                .values(status="failed", error="interrupted", finished_at=func.now())
            )
            pending = list(
                (
                    await session.execute(
                        select(Run.id).where(Run.status == "running").order_by(Run.started_at)
                    )
                ).scalars()
            )
        results = []
        for run_id in pending:
            log.info("resuming interrupted retention run", extra={"run_id": str(run_id)})
            results.append(await self.execute(run_id))
        return results

    async def restore_last_success(self) -> None:
        """Set the last-success gauge from the log, so a restart does not look like a failure."""
        async with self.sessions() as session:
            last = (
                await session.execute(
                    select(func.max(Run.finished_at)).where(
                        Run.status == "succeeded", Run.dry_run.is_(False)
                    )
                )
            ).scalar_one_or_none()
        if last is not None:
            metrics.LAST_SUCCESS.set(last.timestamp())

    # --- reading the log -------------------------------------------------------------------

    async def describe(self, run_id: UUID) -> dict[str, Any]:
        runs = await self.list_runs(run_id=run_id)
        if not runs:
            raise KeyError(run_id)
        return runs[0]

    async def list_runs(self, limit: int = 50, run_id: UUID | None = None) -> list[dict[str, Any]]:
        """Newest first, with each rule applied and purge confirmations per service."""
        async with self.sessions() as session:
            query = select(Run).order_by(Run.started_at.desc()).limit(limit)
            if run_id is not None:
                query = query.where(Run.id == run_id)
            runs = list((await session.execute(query)).scalars())
            ids = [r.id for r in runs]
            rules: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
            for rule in (
                await session.execute(
                    select(RunRule).where(RunRule.run_id.in_(ids)).order_by(RunRule.case_type)
                )
            ).scalars():
                rules[rule.run_id].append(
                    {
                        "case_type": rule.case_type,
                        "organization": rule.organization,
                        "retention_decision": rule.retention_decision,
                        "archive_days": rule.archive_days,
                        "purge_days": rule.purge_days,
                        "archive_before": rule.archive_before,
                        "purge_before": rule.purge_before,
                        **{c: getattr(rule, c) for c in COUNTS},
                    }
                )
            confirmations: dict[UUID, dict[str, int]] = defaultdict(dict)
            for run, service, count in await session.execute(
                select(Purge.run_id, PurgeConfirmation.service, func.count())
                .join(PurgeConfirmation, PurgeConfirmation.case_id == Purge.case_id)
                .where(Purge.run_id.in_(ids))
                .group_by(Purge.run_id, PurgeConfirmation.service)
            ):
                confirmations[run][service] = count
        return [
            {
                "id": r.id,
                "trigger": r.trigger,
                "requested_by": r.requested_by,
                "dry_run": r.dry_run,
                "status": r.status,
                "as_of": r.as_of,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                **{c: getattr(r, c) for c in COUNTS},
                "error": r.error,
                "resident_record_days": r.resident_record_days,
                "resident_shares_purged": r.resident_shares_purged,
                "resident_audit_purged": r.resident_audit_purged,
                "rules": rules[r.id],
                "confirmations": (
                    {}
                    if r.dry_run
                    else {
                        "case-service": r.purged,
                        **dict.fromkeys(self.confirming_services, 0),
                        **confirmations[r.id],
                    }
                ),
            }
            for r in runs
        ]


async def confirm_purges(session: AsyncSession, confirmations: Sequence[dict[str, Any]]) -> None:
    """Record services' CasePurgeConfirmed (idempotent)."""
    if confirmations:
        await session.execute(
            pg_insert(PurgeConfirmation).values(list(confirmations)).on_conflict_do_nothing()
        )
