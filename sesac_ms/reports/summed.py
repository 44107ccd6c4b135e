"""The employment report's figures summed from the per-cohort rows (reports.tallies).

The same figures as counting the records (reports.services `_measures`), one row per
cohort instead of one per completed trainee:

- a closed window of N days sums the cohort's `_Nd` columns: they count outcomes dated by
  end + N, and since end + N is before today, none of them is dated after today;
- without a window, and for "so far" figures while a window is open, the cohort's
  all-time columns less its current outcomes dated after today (a job starting next
  month counts nowhere yet). Those few are read from the outcomes' date index.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..models import Cohort, CohortEmployment, Enrollment, Outcome
from .sql import COMPLETED, KINDS
from .sql import count_if as _count_if
from .sql import sum_if as _sum_if


def _dated_after(today: Any) -> Any:
    """Per cohort, its completed trainees' current outcomes dated after today, per kind."""
    return (
        sa.select(
            Enrollment.cohort_id,
            *(_count_if(Outcome.kind == kind).label(name) for name, kind in KINDS),
        )
        .select_from(Outcome)
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .where(Outcome.is_current, Outcome.outcome_on > today, Enrollment.status.in_(COMPLETED))
        .group_by(Enrollment.cohort_id)
        .subquery("dated_after_today")
    )


def measures_and_base(within_days: int | None, today: Any) -> tuple[list[Any], Any]:
    """The report's measures (as reports.services `_measures` names them) and the FROM
    clause they read: the cohorts with completed trainees, joined to Cohort. `today` is a
    date or a bound parameter standing for one."""
    from .services import _closed_sql

    tally = CohortEmployment
    later = _dated_after(today)
    closed = _closed_sql(within_days, today)

    def so_far(name: str) -> Any:
        return getattr(tally, name) - sa.func.coalesce(getattr(later.c, name), 0)

    def in_window(name: str) -> Any:
        return so_far(name) if within_days is None else getattr(tally, f"{name}_{within_days}d")

    measures = [
        _sum_if(closed, tally.completed).label("completed"),
        *(_sum_if(closed, in_window(name)).label(name) for name, _ in KINDS),
        sa.func.coalesce(sa.func.sum(tally.completed), 0).label("so_far_completed"),
        *(
            sa.func.coalesce(sa.func.sum(so_far(name)), 0).label(f"so_far_{name}")
            for name, _ in KINDS
        ),
        _count_if(sa.not_(closed)).label("pending"),
    ]
    base = (
        sa.select()
        .select_from(tally)
        .join(Cohort, Cohort.id == tally.cohort_id)
        .outerjoin(later, later.c.cohort_id == tally.cohort_id)
        .where(tally.completed > 0)
    )
    return measures, base
