"""SQL pieces the reports, their per-cohort figures and the figures' upkeep all count with."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..models import EnrollmentStatus, OutcomeKind

COMPLETED = (EnrollmentStatus.COMPLETED, EnrollmentStatus.EARLY_EMPLOYED)
# The outcome kinds the employment figures count, by the names of their columns.
KINDS = (
    ("excluded", OutcomeKind.EXCLUDED),
    ("employed", OutcomeKind.EMPLOYED),
    ("founded", OutcomeKind.FOUNDED),
)


def count_if(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def sum_if(condition: Any, value: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def plus_days(dialect: str, column: Any, days: int) -> Any:
    """column + days, on PostgreSQL and SQLite alike."""
    if dialect == "sqlite":
        return sa.func.date(column, f"+{int(days)} days")
    return column + sa.literal(int(days))
