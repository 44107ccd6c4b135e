"""Audit-log and access-log entries, shaped as sesac_ms.audit writes them.

The app logs every change; a history of this size logged in full would be several
times the ~100,000 audit entries issue 12 counts at Seoul's size, so the bulkiest kinds
(selection decisions, 1:1 sessions, attendance sheets) are sampled at the shares below
and the rest (enrollments, status changes, outcomes, referrals…) logged in full. Each row
carries the hash of its content (`row_hash`) as models.audit computes it for the app's own
entries, so the generated logs verify (`flask audit verify`; audit_chain.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models.audit import content_hash
from .context import Context, Staff
from .writer import plain

DECISION_SHARE = 0.1  # selection decisions and withdrawals
SESSION_SHARE = 0.04  # 1:1 sessions scheduled or logged
ATTENDANCE_SHARE = 0.03  # attendance sheets saved (one entry per class day)
EVENT_SHARE = 0.3  # cohort events added

AUDIT_COLUMNS = (
    "at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_label",
    "campus_id", "changes", "ip_address", "row_hash",
)  # fmt: skip
ACCESS_COLUMNS = (
    "at", "actor_id", "actor_label", "action", "subject_type", "subject_id", "subject_label",
    "person_id", "page", "people_count", "filters", "detail", "reason", "ip_address",
    "row_hash",
)  # fmt: skip


def _address(ctx: Context, campus_id: int | None) -> str:
    """An address of the campus's office network (a private range)."""
    return f"10.{(campus_id or 0) % 250}.{ctx.rng.randint(1, 4)}.{ctx.rng.randint(10, 250)}"


def _hashed(table: str, columns: tuple[str, ...], values: tuple) -> tuple:
    """The row with its content hash appended (the last column)."""
    return (*values, content_hash(table, dict(zip(columns, values, strict=False))))


def _plain_changes(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [plain(v) for v in value] if isinstance(value, list | tuple) else plain(value)
        for key, value in changes.items()
    }


def change(
    ctx: Context,
    moment: datetime,
    actor: Staff | None,
    action: str,
    object_type: str,
    object_id: int | None,
    label: str,
    campus_id: int | None,
    changes: dict[str, Any],
) -> None:
    """An audit entry; `actor` None is the applicant or the system, as audit.record says."""
    moment = ctx.clamp(moment)
    ctx.audit.add(
        moment,
        _hashed("audit_entries", AUDIT_COLUMNS, (
            moment,
            actor.id if actor else None,
            actor.label if actor else "system",
            action,
            object_type,
            object_id,
            label[:300],
            campus_id,
            _plain_changes(changes),
            _address(ctx, campus_id) if actor else None,
        )),
    )  # fmt: skip


def viewed(
    ctx: Context,
    moment: datetime,
    actor: Staff,
    page: str,
    campus_id: int,
    *,
    subject_type: str = "",
    subject_id: int | None = None,
    label: str = "",
    person_id: int | None = None,
    people_count: int | None = None,
    filters: dict[str, str] | None = None,
    action: str = "view",
    detail: str = "",
    reason: str | None = None,
) -> None:
    """An access-log entry: a list of people, or one person's record, seen or downloaded."""
    moment = ctx.clamp(moment)
    ctx.access.add(
        moment,
        _hashed("personal_data_access", ACCESS_COLUMNS, (
            moment,
            actor.id,
            actor.label,
            action,
            subject_type,
            subject_id,
            label[:300],
            person_id,
            page,
            people_count,
            filters or None,
            detail,
            reason,
            _address(ctx, campus_id),
        )),
    )  # fmt: skip
