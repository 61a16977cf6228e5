"""When the nightly run happens: local times of day in a time zone, safe across DST changes.

Each scheduled slot is the local time on a date, turned into an instant with `fold=0`. On the
spring-forward day a time inside the gap (02:00–03:00 in Europe/Stockholm) does not exist:
`fold=0` resolves it with the offset before the change, i.e. to the first instant after the
gap (02:00 CET = 01:00 UTC = 03:00 CEST). On the fall-back day a time in the repeated hour is
taken at its first occurrence (CEST), so the run happens once, not twice. Each date yields each
time exactly once, so a day never has zero or two runs of one slot.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Schedule:
    """Daily run times in a time zone."""

    times: tuple[time, ...]
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str) -> "Schedule":
        """`"02:00"` or `"02:00,14:30"`; empty means no scheduled runs."""
        times = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            hour, _, minute = part.partition(":")
            times.append(time(int(hour), int(minute or 0)))
        return cls(tuple(sorted(set(times))), ZoneInfo(zone))

    @property
    def enabled(self) -> bool:
        return bool(self.times)

    def slot(self, day: date, at: time) -> datetime:
        """The instant (UTC) of one slot: local `at` on `day`, first occurrence, gap skipped."""
        local = datetime.combine(day, at, tzinfo=self.zone).replace(fold=0)
        return local.astimezone(UTC)

    def _slots_around(self, instant: datetime) -> list[datetime]:
        local_day = instant.astimezone(self.zone).date()
        return sorted(
            self.slot(local_day + timedelta(days=offset), at)
            for offset in (-2, -1, 0, 1, 2)
            for at in self.times
        )

    def next_after(self, instant: datetime) -> datetime | None:
        """The first slot strictly after `instant`."""
        return next((s for s in self._slots_around(instant) if s > instant), None)

    def latest_at_or_before(self, instant: datetime) -> datetime | None:
        """The last slot at or before `instant` (the one a restarted service may have missed)."""
        return next((s for s in reversed(self._slots_around(instant)) if s <= instant), None)
