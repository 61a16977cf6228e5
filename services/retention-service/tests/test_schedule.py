"""The schedule across DST changes in Europe/Stockholm (last Sundays of March and October)."""

import itertools
from datetime import UTC, datetime, timedelta

from retention_service.schedule import Schedule

NIGHTLY = Schedule.parse("02:00", "Europe/Stockholm")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs_between(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    runs, at = [], start
    while (nxt := schedule.next_after(at)) is not None and nxt < end:
        runs.append(nxt)
        at = nxt
    return runs


def test_an_ordinary_winter_and_summer_night() -> None:
    assert NIGHTLY.next_after(utc(2026, 1, 15, 12)) == utc(2026, 1, 16, 1)  # 02:00 CET
    assert NIGHTLY.next_after(utc(2026, 7, 15, 12)) == utc(2026, 7, 16, 0)  # 02:00 CEST


def test_spring_forward_02_00_does_not_exist_and_runs_once_right_after_the_gap() -> None:
    # 2026-03-29: clocks go 02:00 CET -> 03:00 CEST; 02:00 local never happens.
    runs = runs_between(NIGHTLY, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12))
    assert runs == [utc(2026, 3, 28, 1), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0)]
    # 01:00 UTC on the change day is 03:00 CEST: the first instant after the gap.
    assert runs[1].astimezone(NIGHTLY.zone).strftime("%H:%M %Z") == "03:00 CEST"


def test_fall_back_02_00_happens_twice_and_runs_once() -> None:
    # 2026-10-25: clocks go 03:00 CEST -> 02:00 CET; 02:00-03:00 local happens twice.
    runs = runs_between(NIGHTLY, utc(2026, 10, 23, 12), utc(2026, 10, 26, 12))
    assert runs == [utc(2026, 10, 24, 0), utc(2026, 10, 25, 0), utc(2026, 10, 26, 1)]
    assert runs[1].astimezone(NIGHTLY.zone).strftime("%H:%M %Z") == "02:00 CEST"


def test_one_run_per_day_all_year() -> None:
    runs = runs_between(NIGHTLY, utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(runs) == 365
    days = {r.astimezone(NIGHTLY.zone).date() for r in runs}
    assert len(days) == 365
    gaps = {r2 - r1 for r1, r2 in itertools.pairwise(runs)}
    assert gaps == {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}


def test_a_restart_finds_the_slot_it_missed() -> None:
    # Down from 01:00 to 09:00 local on a spring-forward day: the one missed slot is 03:00 CEST.
    assert NIGHTLY.latest_at_or_before(utc(2026, 3, 29, 7)) == utc(2026, 3, 29, 1)
    # Exactly at the slot counts as due.
    assert NIGHTLY.latest_at_or_before(utc(2026, 10, 25, 0)) == utc(2026, 10, 25, 0)
    assert NIGHTLY.latest_at_or_before(utc(2026, 10, 24, 23, 59)) == utc(2026, 10, 24, 0)


def test_several_times_a_day_and_an_empty_schedule() -> None:
    twice = Schedule.parse("14:30, 02:00", "Europe/Stockholm")
    assert twice.next_after(utc(2026, 1, 15, 2)) == utc(2026, 1, 15, 13, 30)
    assert not Schedule.parse("", "Europe/Stockholm").enabled
    assert Schedule.parse("", "Europe/Stockholm").next_after(utc(2026, 1, 1)) is None
