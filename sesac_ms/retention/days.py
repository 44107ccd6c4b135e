"""Cut-off days: retention is counted in whole days of Seoul time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from ..clock import SEOUL


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def cutoff(day: date, amount: int, unit: str) -> date:
    """The first day still kept by a run on `day`: what is dated before it is destroyed."""
    if unit == "years":
        return years_before(day, amount)
    return day - timedelta(days=amount)


def start_of_day(day: date) -> datetime:
    """Midnight in Seoul at the start of `day`, as the aware UTC instant stored times compare to."""
    return datetime.combine(day, time.min, tzinfo=SEOUL).astimezone(UTC)
