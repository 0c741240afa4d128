"""The registry's notion of "now", injectable so deadlines (reports, cure, disclosures) are testable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to: tests walk it past due dates."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 15, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, days: int = 0, seconds: int = 0) -> None:
        self.current += timedelta(days=days, seconds=seconds)

    def set_date(self, day: date) -> None:
        self.current = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


def today(clock: Clock) -> date:
    return clock.now().date()
