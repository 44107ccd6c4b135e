"""Counting and destroying each category but trainees (trainees.py): set-based statements only.

Each category has a counter, `(cutoff) -> int`, and a destroyer, `(cutoff, today) -> int |
None`, where `cutoff` is the first day still kept (days.cutoff). Destroyers flush, never
commit: the job commits each category on its own (job.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import (
    Application,
    AuditEntry,
    CoachingSession,
    Cohort,
    OutboxMessage,
    PersonalDataAccess,
    UploadedFile,
)
from .days import start_of_day

# The module (another part of the personal-data work) whose `prune_logs(now)` deletes old
# log entries without breaking their hash chain.
AUDIT_CHAIN = "sesac_ms.audit_chain"


def _count(stmt: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


def _bulk(stmt: Any) -> int:
    """Run a set-based UPDATE or DELETE without loading or synchronising any object."""
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount


# --- applicants not selected --------------------------------------------------------------


def count_applicants(cutoff: date) -> int:
    from ..applications.services import NOT_SELECTED

    return _count(
        sa.select(Application.id)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.stage.in_(NOT_SELECTED), Cohort.start_on < cutoff)
    )


def destroy_applicants(cutoff: date, today: date) -> int:
    """The applications module's own purge: the same rule, with its audit entry per cohort."""
    from ..applications.services import purge_expired

    return purge_expired(today)


# --- staff notes of 1:1 sessions ----------------------------------------------------------


def _old_notes(cutoff: date) -> Any:
    return sa.and_(
        CoachingSession.ends_at < start_of_day(cutoff), CoachingSession.staff_notes != ""
    )


def count_session_notes(cutoff: date) -> int:
    return _count(sa.select(CoachingSession.id).where(_old_notes(cutoff)))


def destroy_session_notes(cutoff: date, today: date) -> int:
    return _bulk(sa.update(CoachingSession).where(_old_notes(cutoff)).values(staff_notes=""))


# --- uploaded import files ----------------------------------------------------------------


def count_uploaded_files(cutoff: date) -> int:
    return _count(sa.select(UploadedFile.id).where(UploadedFile.created_at < start_of_day(cutoff)))


def destroy_uploaded_files(cutoff: date, today: date) -> int:
    return _bulk(sa.delete(UploadedFile).where(UploadedFile.created_at < start_of_day(cutoff)))


# --- messages sent or given up ------------------------------------------------------------


def _done_before(cutoff: date) -> Any:
    # A message is either sent or given up (a CHECK): each side uses its own index. Messages
    # still waiting, however old, are the sender's and stay.
    before = start_of_day(cutoff)
    return sa.or_(OutboxMessage.sent_at < before, OutboxMessage.given_up_at < before)


def count_outbox_messages(cutoff: date) -> int:
    return _count(sa.select(OutboxMessage.id).where(_done_before(cutoff)))


def destroy_outbox_messages(cutoff: date, today: date) -> int:
    return _bulk(sa.delete(OutboxMessage).where(_done_before(cutoff)))


# --- the access log and the audit log -----------------------------------------------------


def count_access_records(cutoff: date) -> int:
    before = start_of_day(cutoff)
    return sum(
        _count(sa.select(log.id).where(log.at < before)) for log in (AuditEntry, PersonalDataAccess)
    )


def audit_chain_installed() -> bool:
    return importlib.util.find_spec(AUDIT_CHAIN) is not None


def destroy_access_records(cutoff: date, today: date) -> int | None:
    """The logs' own chain-safe pruning, as of the start of today (None: not installed yet).

    The logs are append-only to every other code path (models/audit.py refuses bulk
    deletes), so only `audit_chain.prune_logs` may delete from them; it reads its period,
    ACCESS_LOG_RETENTION_DAYS, itself.
    """
    if not audit_chain_installed():
        current_app.logger.warning(
            "retention: access_records skipped: %s.prune_logs is not installed", AUDIT_CHAIN
        )
        return None
    pruned: dict[str, int] = importlib.import_module(AUDIT_CHAIN).prune_logs(start_of_day(today))
    current_app.logger.info(
        "retention: access_records pruned %s",
        ", ".join(f"{name}={count}" for name, count in sorted(pruned.items())) or "nothing",
    )
    return sum(pruned.values())
