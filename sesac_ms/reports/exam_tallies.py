"""Per exam and campus, candidates and passes (models.ExamResults), kept equal to the attempts.

Why: the certification report would otherwise group every attempt by trainee and look up
each trainee's campus on each request; with these rows it sums a few hundred.

How: after a flush that adds, changes or deletes an attempt, or moves a trainee to another
campus, each touched exam's rows are rewritten from its attempts in the same transaction.
On PostgreSQL the exam rows are locked first (FOR NO KEY UPDATE, which an attempt's foreign
key check does not wait for), so two transactions recording attempts of one exam recount
one after the other, each seeing the other's committed attempts. A trainee deleted with
their attempts (the database cascades) is seen before the flush, while the attempts exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..models import CertificationAttempt, Exam, ExamResults, User

PENDING_KEY = "exam_tallies.deleted_users_exams"


def _counted(connection: Connection, exam_ids: list[int]) -> list[dict[str, Any]]:
    per_person = (
        sa.select(
            CertificationAttempt.exam_id,
            CertificationAttempt.user_id,
            sa.func.max(sa.case((CertificationAttempt.passed, 1), else_=0)).label("passed"),
        )
        .where(CertificationAttempt.exam_id.in_(exam_ids))
        .group_by(CertificationAttempt.exam_id, CertificationAttempt.user_id)
        .subquery()
    )
    stmt = (
        sa.select(
            per_person.c.exam_id,
            User.campus_id,
            sa.func.count().label("candidates"),
            sa.func.coalesce(sa.func.sum(per_person.c.passed), 0).label("passed"),
        )
        .select_from(per_person)
        .join(User, User.id == per_person.c.user_id)
        .group_by(per_person.c.exam_id, User.campus_id)
    )
    return [dict(row) for row in connection.execute(stmt).mappings()]


def refresh(connection: Connection, exam_ids: Iterable[int]) -> None:
    """Rewrite these exams' rows from their attempts."""
    ids = sorted(set(exam_ids))
    if not ids:
        return
    lock = sa.select(Exam.id).where(Exam.id.in_(ids)).order_by(Exam.id)
    if connection.dialect.name == "postgresql":
        lock = lock.with_for_update(key_share=True)  # FOR NO KEY UPDATE
    existing = list(connection.scalars(lock))
    table = ExamResults.__table__
    connection.execute(table.delete().where(table.c.exam_id.in_(ids)))
    if existing:
        rows = _counted(connection, existing)
        if rows:
            connection.execute(table.insert(), rows)


def rebuild_all(connection: Connection) -> int:
    ids = list(connection.scalars(sa.select(Exam.id)))
    refresh(connection, ids)
    return len(ids)


def check(connection: Connection) -> list[str]:
    """Exams and campuses whose stored figures differ from a recount of the attempts."""
    table = ExamResults.__table__
    stored: dict[tuple, tuple[int, int]] = {}
    for row in connection.execute(sa.select(table)).mappings():
        key = (row["exam_id"], row["campus_id"])
        kept = stored.get(key, (0, 0))
        stored[key] = (kept[0] + row["candidates"], kept[1] + row["passed"])
    ids = list(connection.scalars(sa.select(Exam.id)))
    counted = {
        (r["exam_id"], r["campus_id"]): (int(r["candidates"]), int(r["passed"]))
        for r in (_counted(connection, ids) if ids else [])
    }
    return [
        f"exam {exam_id} campus {campus_id or '-'}: kept {stored.get((exam_id, campus_id))} "
        f"counted {counted.get((exam_id, campus_id))}"
        for exam_id, campus_id in sorted(set(stored) | set(counted), key=str)
        if stored.get((exam_id, campus_id), (0, 0)) != counted.get((exam_id, campus_id), (0, 0))
    ]


# --- keeping the rows up to date ---------------------------------------------------------


def flushed_values(obj: Any, name: str) -> set[Any]:
    """The attribute's value now and before this flush (both matter when it moved)."""
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def before_flush(session: Session) -> None:
    """Exams of trainees about to be deleted: their attempts go with them in the database."""
    users = [obj.id for obj in session.deleted if isinstance(obj, User) and obj.id is not None]
    if users:
        exams = session.connection().scalars(
            sa.select(CertificationAttempt.exam_id).where(CertificationAttempt.user_id.in_(users))
        )
        session.info.setdefault(PENDING_KEY, set()).update(exams)


def touched_exams(session: Session) -> set[int]:
    exams: set[int] = set(session.info.pop(PENDING_KEY, set()))
    moved_users: set[int] = set()
    for group, is_change in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for obj in group:
            if isinstance(obj, CertificationAttempt):
                state = inspect(obj)
                names = ("exam_id", "user_id", "passed")
                if is_change and not any(state.attrs[n].history.has_changes() for n in names):
                    continue
                exams |= flushed_values(obj, "exam_id")
            elif (
                is_change
                and isinstance(obj, User)
                and inspect(obj).attrs["campus_id"].history.has_changes()
            ):
                moved_users.add(obj.id)
    if moved_users:
        exams |= set(
            session.connection().scalars(
                sa.select(CertificationAttempt.exam_id).where(
                    CertificationAttempt.user_id.in_(sorted(moved_users))
                )
            )
        )
    return exams
