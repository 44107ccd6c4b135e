"""The events a webhook can subscribe to, and how a change becomes a delivery.

Most events are read off the audit entry every change already writes (`from_audit_entry`,
called by audit.record): the delivery is then part of the change's own transaction. A
retention check falling due writes no audit entry; its run calls `emit` directly.

A payload carries the event, when it happened (Asia/Seoul), the campus, the record's kind
and id, and its changed fields, never a note, a reason or health data: those stay in the
app, where the permissions table decides who reads them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..clock import SEOUL
from ..extensions import db
from ..models import AuditEntry, WebhookDelivery, WebhookSubscription
from ..models.types import utcnow

EVENTS: dict[str, Any] = {
    "application.submitted": _l("An application is submitted"),
    "application.decided": _l("An application is accepted, waitlisted or rejected"),
    "enrollment.status_changed": _l("A trainee's enrollment status changes"),
    "session.booked": _l("A 1:1 session is booked"),
    "session.cancelled": _l("A 1:1 session is cancelled"),
    "session.logged": _l("A 1:1 session is logged"),
    "session.no_show": _l("A trainee does not come to a 1:1 session"),
    "outcome.recorded": _l("A graduate's outcome is recorded"),
    "outcome.verified": _l("A graduate's outcome is verified"),
    "retention_check.due": _l("A retention check falls due"),
}

# audit action -> event
FROM_AUDIT = {
    "application.submitted": "application.submitted",
    "application.accepted": "application.decided",
    "application.waitlisted": "application.decided",
    "application.rejected": "application.decided",
    "roster.status_changed": "enrollment.status_changed",
    "session.booked": "session.booked",
    "session.cancelled": "session.cancelled",
    "session.logged": "session.logged",
    "session.marked": "session.no_show",  # only when the mark is a no-show
    "outcome.recorded": "outcome.recorded",
    "outcome.verified": "outcome.verified",
}
OBJECT_KINDS = {
    "Application": "application",
    "Enrollment": "enrollment",
    "CoachingSession": "session",
    "Outcome": "outcome",
}
# Fields never sent: notes, reasons and anything about health.
WITHHELD_FIELD = re.compile(r"note|reason|health|summary|links|follow_ups", re.IGNORECASE)


def _event_of(entry: AuditEntry) -> str | None:
    event = FROM_AUDIT.get(entry.action)
    if event == "session.no_show":
        status = (entry.changes or {}).get("status")
        if not (isinstance(status, list) and status[-1:] == ["no_show"]):
            return None
    return event


def _sent_changes(changes: dict[str, Any] | None) -> dict[str, Any]:
    return {
        key: value
        for key, value in (changes or {}).items()
        if not WITHHELD_FIELD.search(key) and value != ["…", "…"]
    }


def payload(
    event: str,
    campus_id: int | None,
    kind: str,
    object_id: int | None,
    changes: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    return {
        "event": event,
        "occurred_at": at.astimezone(SEOUL).isoformat(timespec="seconds"),
        "campus_id": campus_id,
        "object": {"type": kind, "id": object_id},
        "changes": changes,
    }


def from_audit_entry(entry: AuditEntry) -> int:
    """Queue the deliveries the audit entry's change calls for; how many were queued."""
    event = _event_of(entry)
    if event is None:
        return 0
    return emit(
        event,
        entry.campus_id,
        OBJECT_KINDS.get(entry.object_type, entry.object_type.lower()),
        entry.object_id,
        _sent_changes(entry.changes),
        at=entry.at or utcnow(),
    )


def emit(
    event: str,
    campus_id: int | None,
    kind: str,
    object_id: int | None,
    changes: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> int:
    """Queue `event` for every working subscription of the campus (and every all-campus one)
    that asked for it; the caller commits with the change."""
    if event not in EVENTS:
        raise KeyError(f"unknown webhook event {event!r}: add it to webhooks.events.EVENTS")
    subscribers = db.session.scalars(
        sa.select(WebhookSubscription.id).where(
            WebhookSubscription.paused_at.is_(None),
            sa.or_(
                WebhookSubscription.campus_id.is_(None),
                WebhookSubscription.campus_id == campus_id,
            ),
            # the events column is a comma-separated list: match a whole name
            sa.literal(",")
            .concat(WebhookSubscription.events)
            .concat(",")
            .contains(f",{event},", autoescape=True),
        )
    ).all()
    if not subscribers:
        return 0
    body = payload(event, campus_id, kind, object_id, changes or {}, at or utcnow())
    now = utcnow()
    db.session.add_all(
        WebhookDelivery(subscription_id=sid, event=event, payload=body, next_attempt_at=now)
        for sid in subscribers
    )
    return len(subscribers)
