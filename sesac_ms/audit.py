"""Writing the audit log and the personal-data access log; services call these, views never do."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import Enum
from typing import Any

from flask import has_request_context, request

from .extensions import db
from .models import AuditEntry, PersonalDataAccess, User
from .models.audit import AccessAction


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _actor_label(actor: User | None) -> str:
    return f"{actor.name} <{actor.email}>" if actor is not None else "system"


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the given attributes on obj; return {field: [old, new]} for those that changed."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def record(
    actor: User | None,
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    *,
    label: str | None = None,
    campus_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry for obj (flushed so that a new obj has its id)."""
    db.session.flush()
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=_actor_label(actor),
        action=action,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        object_label=(label if label is not None else str(getattr(obj, "name", "")))[:300],
        campus_id=campus_id,
        changes={
            k: [_plain(v) for v in pair] if isinstance(pair, list | tuple) else _plain(pair)
            for k, pair in (changes or {}).items()
        },
        ip_address=_client_address(),
    )
    db.session.add(entry)
    return entry


def record_access(
    actor: User | None,
    action: AccessAction,
    subject_label: str,
    *,
    subject: Any = None,
    detail: str = "",
    reason: str | None = None,
) -> PersonalDataAccess:
    """Log a view, change or download of someone's personal data."""
    if action == AccessAction.DOWNLOAD and not (reason and reason.strip()):
        raise ValueError("a download of personal data needs a reason")
    entry = PersonalDataAccess(
        actor_id=actor.id if actor else None,
        actor_label=_actor_label(actor),
        action=action,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        subject_label=subject_label[:300],
        detail=detail[:300],
        reason=reason.strip() if reason else None,
        ip_address=_client_address(),
    )
    db.session.add(entry)
    return entry
