"""From check-in and check-out times to an attendance mark, by the cohort's class hours.

The rule (domain.md, with times):
- minutes late = minutes after the class start the trainee arrived; minutes left early =
  minutes before the class end they left (0 when on time; a departure not recorded yet
  counts as staying to the end);
- a day under half attended is an absence: the time between arrival and departure,
  within class hours, below half the class day makes the day `absent` (exactly half is
  not under half);
- otherwise `late` when the minutes late exceed the cohort's grace minutes, else
  `left_early` when the minutes left early exceed them, else `present`. A day both late
  and left early is marked `late`, with both minutes kept.
No arrival at all is an absence. Excused days (공가) are the manager's to mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ..clock import SEOUL
from ..models import AttendanceStatus, Cohort


@dataclass(frozen=True)
class TimedMark:
    status: AttendanceStatus
    minutes_late: int
    minutes_left_early: int


def class_hours(cohort: Cohort, day: date) -> tuple[datetime, datetime]:
    """When class starts and ends on a day, as Seoul-aware datetimes."""
    starts = datetime.combine(day, cohort.class_starts_at, tzinfo=SEOUL)
    ends = datetime.combine(day, cohort.class_ends_at, tzinfo=SEOUL)
    return starts, ends


def _whole_minutes(seconds: float) -> int:
    return max(0, int(seconds // 60))


def mark_from_times(
    cohort: Cohort, day: date, arrived_at: datetime | None, left_at: datetime | None
) -> TimedMark:
    """The mark a day's arrival and departure make (see the module's rule)."""
    if arrived_at is None:
        return TimedMark(AttendanceStatus.ABSENT, 0, 0)
    starts, ends = class_hours(cohort, day)
    departure = ends if left_at is None else left_at
    minutes_late = _whole_minutes((arrived_at - starts).total_seconds())
    minutes_left_early = _whole_minutes((ends - departure).total_seconds())
    attended = (min(departure, ends) - max(arrived_at, starts)).total_seconds()
    if attended * 2 < (ends - starts).total_seconds():
        status = AttendanceStatus.ABSENT
    elif minutes_late > cohort.grace_minutes:
        status = AttendanceStatus.LATE
    elif minutes_left_early > cohort.grace_minutes:
        status = AttendanceStatus.LEFT_EARLY
    else:
        status = AttendanceStatus.PRESENT
    return TimedMark(status, minutes_late, minutes_left_early)
