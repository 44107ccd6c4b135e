"""Each cohort's attendance version: raised in the transaction of every change that can move
its trainees' attendance figures, so figures worked out once (attendance_figures) are read
back until the records move.

What moves them: a mark added, changed or removed (by hand, by an import or by a check-in);
a class day added, changed or removed; a trainee added to, moved out of or removed from the
cohort; the cohort added or removed. The ORM's flushes are watched here (`install`); the
one write past the ORM that moves a mark, the check-in's insert and stamp, raises the
version itself (`raise_for`). A cohort's rules (completion threshold, lates per absence)
are part of the key the figures are kept under, not of the version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..database import upsert_insert
from ..extensions import db
from ..models import Attendance, AttendanceVersion, ClassDay, Cohort, Enrollment

_READ = "sesac_attendance_versions"  # {cohort id: version} as this request read them


def _upsert(connection: Connection, rows: sa.Select | list[dict]) -> None:
    table = AttendanceVersion.__table__
    insert = upsert_insert(connection)
    if isinstance(rows, list):
        statement = insert(table).values(rows)
    else:
        statement = insert(table).from_select(["cohort_id", "number"], rows)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.cohort_id], set_={"number": table.c.number + 1}
        )
    )


def _forget_read() -> None:
    if has_request_context():
        request.environ.pop(_READ, None)


def raise_for(connection: Connection, cohort_ids: Iterable[int]) -> None:
    """Raise the cohorts' versions in the caller's transaction."""
    ids = sorted(set(cohort_ids))
    if ids:
        _forget_read()
        _upsert(connection, [{"cohort_id": cohort_id, "number": 1} for cohort_id in ids])


def raise_for_class_days(connection: Connection, class_day_ids: Iterable[int]) -> None:
    """Raise the versions of the cohorts the class days belong to."""
    ids = sorted(set(class_day_ids))
    if ids:
        _forget_read()
        cohorts = (
            sa.select(ClassDay.cohort_id, sa.literal(1, sa.BigInteger))
            .where(ClassDay.id.in_(ids))
            .distinct()
        )
        _upsert(connection, cohorts)


def current(cohort_id: int) -> int:
    """The cohort's version as this transaction sees it (0 before its first change); read
    once per request and cohort, forgotten when this request raises one."""
    read = request.environ.setdefault(_READ, {}) if has_request_context() else {}
    if cohort_id not in read:
        number = db.session.scalar(
            sa.select(AttendanceVersion.number).where(AttendanceVersion.cohort_id == cohort_id)
        )
        read[cohort_id] = number or 0
    return read[cohort_id]


def _touched(session: Session) -> tuple[set[int], set[int]]:
    """(cohort ids, class day ids) whose attendance figures this flush may move."""
    cohorts: set[int] = set()
    class_days: set[int] = set()
    dirty = session.dirty  # a new set at each reading: read once
    for obj in (*session.new, *dirty, *session.deleted):
        changed = obj in dirty
        if changed and not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Attendance):
            class_days.add(obj.class_day_id)
            history = sa.inspect(obj).attrs.class_day_id.history
            class_days.update(i for i in history.deleted if i is not None)
        elif isinstance(obj, ClassDay):
            cohorts.add(obj.cohort_id)
        elif isinstance(obj, Enrollment):
            if changed:
                history = sa.inspect(obj).attrs.cohort_id.history
                if not history.has_changes():
                    continue
                cohorts.update(i for i in history.deleted if i is not None)
            cohorts.add(obj.cohort_id)
        elif isinstance(obj, Cohort) and not changed:
            cohorts.add(obj.id)
    cohorts.discard(None)  # type: ignore[arg-type]
    class_days.discard(None)  # type: ignore[arg-type]
    return cohorts, class_days


def _after_flush(session: Session, flush_context: Any) -> None:
    cohorts, class_days = _touched(session)
    if cohorts or class_days:
        connection = session.connection()
        raise_for(connection, cohorts)
        raise_for_class_days(connection, class_days)


def install() -> None:
    """Listen to every ORM flush (once per process)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
