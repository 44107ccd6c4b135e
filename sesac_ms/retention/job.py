"""The daily retention job and the forecast of what a month will destroy.

One transaction per category. Each category's statements commit together or not at all, so
a failure never leaves a category half-done; the categories are independent, so one that
fails (a lock timeout on the outbox, say) is rolled back, logged and retried the next day
while the others still meet their deadline; and no lock is held longer than one category's
statements (on SQLite a single transaction would hold the database's only write lock for
the whole run). After them one audit entry records the counts of the categories done; the
app log has a line per category as soon as it commits, so what was destroyed is logged
even if the summary's own transaction were to fail.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app

from .. import audit
from ..clock import today_in_seoul
from ..extensions import db
from ..models import AuditEntry
from .table import CATEGORIES, check_settings

ACTION = "retention.run"  # the run's audit entry (written with the literal: audit_text scans)


class RetentionRun:
    """What the run's audit entry is about: the run itself, not one record."""

    id = None
    name = ""


@dataclass
class RunResult:
    day: date
    dry_run: bool = False
    # key -> destroyed (or, in a dry run, would be); None: the category could not run yet
    counts: dict[str, int | None] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # key -> the error's kind

    @property
    def ok(self) -> bool:
        return not self.failed


def run(today: date | None = None, *, dry_run: bool = False) -> RunResult:
    """Destroy, category by category, everything past its retention; commits each.

    A dry run only counts, in SQL, what a run today would destroy, and changes nothing.
    Raises RetentionSettingError, before anything is done, when a period is not valid.
    """
    today = today or today_in_seoul()
    check_settings()
    result = RunResult(today, dry_run)
    logger = current_app.logger
    for category in CATEGORIES:
        if dry_run:
            result.counts[category.key] = category.count_due(today)
            continue
        try:
            destroyed = category.destroy(today)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            logger.exception(
                "retention: %s failed and was rolled back: nothing of it was destroyed",
                category.key,
            )
            result.failed[category.key] = type(error).__name__
            continue
        result.counts[category.key] = destroyed
        if destroyed is not None:
            logger.info("retention: %s: %d destroyed", category.key, destroyed)
    if dry_run:
        db.session.rollback()
        return result
    done = {key: count for key, count in result.counts.items() if count is not None}
    audit.record(None, "retention.run", RetentionRun(), done, label="")
    db.session.commit()
    logger.info(
        "retention run of %s: %s%s",
        today.isoformat(),
        ", ".join(f"{key}={count}" for key, count in done.items()),
        f"; failed: {', '.join(result.failed)}" if result.failed else "",
    )
    return result


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def next_month(today: date) -> date:
    _, last = month_bounds(today)
    return last + timedelta(days=1)


def month_forecast(month: date, today: date | None = None) -> dict[str, int]:
    """Per category, how many the daily runs of `month` will destroy (counted in SQL).

    What is due by the month's last day, less what is due already the day before it starts
    (the runs before the month destroy that). In the current month, what is due now and
    not destroyed yet counts too: the next run destroys it. ValueError for a past month.
    """
    today = today or today_in_seoul()
    check_settings()
    first, last = month_bounds(month)
    if last < today:
        raise ValueError("the month is over: the forecast is for this month or a later one")
    before = first - timedelta(days=1) if first > today else None
    return {
        category.key: category.count_due(last)
        - (category.count_due(before) if before is not None else 0)
        for category in CATEGORIES
    }


def last_run() -> AuditEntry | None:
    """The latest run's audit entry: when, and its counts."""
    return db.session.scalar(
        db.select(AuditEntry)
        .where(AuditEntry.action == ACTION)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
