"""Per-cohort employment figures (models.CohortEmployment), kept equal to the records.

Why: the employment report and the dashboards would otherwise join every completed
enrollment with its outcome on each request, a cost that grows with the years of history.
With one row of figures per cohort they sum ~1,200 rows at twice Seoul's size.

How the rows stay right: after every flush that adds, changes or deletes an enrollment
(its status or cohort), an outcome (kind, date, current or not), a retention check or a
cohort's end date, the touched cohorts' rows are rewritten from their records in the same
transaction. The rows are locked first (SELECT … FOR UPDATE, in cohort order) and only
then recounted, so on PostgreSQL a second transaction touching the same cohort waits for
the first to commit and recounts with its changes in view: neither overwrites the other.
Bulk loads that bypass the ORM (the scale generator) call `rebuild_all()` at the end.
`check()` (CLI: `flask report check`) recounts everything from the records and lists any
cohort whose row differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..database import upsert_insert
from ..models import (
    TALLY_WINDOWS,
    Campus,
    Cohort,
    CohortEmployment,
    Course,
    Enrollment,
    Outcome,
    RetentionCheck,
    RetentionResult,
    User,
)
from ..models.summaries import FIGURES
from . import exam_tallies, figures_cache
from .exam_tallies import flushed_values
from .sql import COMPLETED, KINDS, plus_days
from .sql import count_if as _count_if

CHUNK = 500
_LABELLED = (Campus, Course, Cohort)
# Beyond the figures' own records: what the dashboards count accounts by, and the list of
# accounts downloaded (admin.services.export_users_csv) names them by; and the date a
# trainee completed on, which dates the completed trainees still without an outcome.
_COUNTED = {
    User: ("role", "active", "campus_id", "name", "email"),
    Enrollment: ("status_on",),
}

# What, changed on each model, moves a cohort's figures.
_WATCHED = {
    Enrollment: ("status", "cohort_id"),
    Outcome: ("kind", "outcome_on", "is_current", "enrollment_id"),
    RetentionCheck: ("months", "result", "outcome_id"),
    Cohort: ("end_on",),  # changed only: a new cohort has no figures, a deleted one cascades
}


def _outcome_figures(connection: Connection, cohort_ids: list[int]) -> dict[int, dict[str, int]]:
    """completed, and current outcomes per kind (all, and within each kept window)."""
    columns = [sa.func.count(Enrollment.id).label("completed")]
    for name, kind in KINDS:
        columns.append(_count_if(Outcome.kind == kind).label(name))
    for days in TALLY_WINDOWS:
        by_then = Outcome.outcome_on <= plus_days(connection.dialect.name, Cohort.end_on, days)
        for name, kind in KINDS:
            columns.append(
                _count_if(sa.and_(Outcome.kind == kind, by_then)).label(f"{name}_{days}d")
            )
    stmt = (
        sa.select(Enrollment.cohort_id, *columns)
        .select_from(Enrollment)
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .outerjoin(Outcome, sa.and_(Outcome.enrollment_id == Enrollment.id, Outcome.is_current))
        .where(Enrollment.status.in_(COMPLETED), Enrollment.cohort_id.in_(cohort_ids))
        .group_by(Enrollment.cohort_id)
    )
    return {
        row["cohort_id"]: {k: int(v) for k, v in row.items() if k != "cohort_id"}
        for row in connection.execute(stmt).mappings()
    }


def _retention_figures(connection: Connection, cohort_ids: list[int]) -> dict[int, dict[str, int]]:
    stmt = (
        sa.select(
            Enrollment.cohort_id,
            RetentionCheck.months,
            sa.func.count(RetentionCheck.id),
            _count_if(RetentionCheck.result == RetentionResult.STILL_EMPLOYED),
        )
        .select_from(RetentionCheck)
        .join(Outcome, Outcome.id == RetentionCheck.outcome_id)
        .join(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .where(Enrollment.cohort_id.in_(cohort_ids), RetentionCheck.months.in_((6, 12)))
        .group_by(Enrollment.cohort_id, RetentionCheck.months)
    )
    figures: dict[int, dict[str, int]] = {}
    for cohort_id, months, checked, retained in connection.execute(stmt):
        figures.setdefault(cohort_id, {})[f"checked_{months}m"] = int(checked)
        figures[cohort_id][f"retained_{months}m"] = int(retained)
    return figures


def recount(connection: Connection, cohort_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each cohort's figures counted from its records (zeros where it has none)."""
    ids = sorted(set(cohort_ids))
    result = {cohort_id: dict.fromkeys(FIGURES, 0) for cohort_id in ids}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for source in (_outcome_figures, _retention_figures):
            for cohort_id, values in source(connection, chunk).items():
                result[cohort_id].update(values)
    return result


def _insert_missing(connection: Connection, cohort_ids: list[int]) -> None:
    """A zero row for each cohort that has none yet, without disturbing concurrent inserts."""
    table = CohortEmployment.__table__
    connection.execute(
        upsert_insert(connection)(table).on_conflict_do_nothing(index_elements=["cohort_id"]),
        [{"cohort_id": cohort_id} for cohort_id in cohort_ids],
    )


def refresh(connection: Connection, cohort_ids: Iterable[int]) -> None:
    """Rewrite these cohorts' rows from their records (cohorts that no longer exist skipped),
    and raise the figures' version (reports.figures_cache) in the same transaction."""
    wanted = sorted(set(cohort_ids))
    if not wanted:
        return
    figures_cache.raise_version(connection)
    table = CohortEmployment.__table__
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        existing = list(
            connection.scalars(sa.select(Cohort.id).where(Cohort.id.in_(chunk)).order_by(Cohort.id))
        )
        if not existing:
            continue
        _insert_missing(connection, existing)
        lock = sa.select(table.c.cohort_id).where(table.c.cohort_id.in_(existing))
        if connection.dialect.name == "postgresql":
            lock = lock.order_by(table.c.cohort_id).with_for_update()
        connection.execute(lock).all()
        figures = recount(connection, existing)
        connection.execute(
            table.update().where(table.c.cohort_id == sa.bindparam("id_")),
            [{"id_": cohort_id, **values} for cohort_id, values in figures.items()],
        )


def rebuild_all(connection: Connection | None = None) -> int:
    """Rewrite every cohort's row, and every exam's, from the records; returns how many
    cohorts."""
    from ..extensions import db

    connection = connection or db.session.connection()
    figures_cache.raise_version(connection)  # whatever changed by hand, kept figures go too
    ids = list(connection.scalars(sa.select(Cohort.id).order_by(Cohort.id)))
    refresh(connection, ids)
    exam_tallies.rebuild_all(connection)
    return len(ids)


def check(connection: Connection | None = None) -> list[tuple[int, dict[str, tuple[int, int]]]]:
    """Cohorts whose stored row differs from a recount: (cohort id, {figure: (kept, counted)})."""
    from ..extensions import db

    connection = connection or db.session.connection()
    table = CohortEmployment.__table__
    stored = {row["cohort_id"]: row for row in connection.execute(sa.select(table)).mappings()}
    ids = list(connection.scalars(sa.select(Cohort.id).order_by(Cohort.id)))
    differences = []
    for cohort_id, counted in recount(connection, ids).items():
        kept = stored.get(cohort_id)
        diff = {
            name: (int(kept[name]) if kept else 0, value)
            for name, value in counted.items()
            if (int(kept[name]) if kept else 0) != value
        }
        if diff:
            differences.append((cohort_id, diff))
    return differences


# --- keeping the rows up to date ---------------------------------------------------------


def _columns(obj: Any) -> tuple[str, ...]:
    return tuple(attr.key for attr in inspect(type(obj)).column_attrs)


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _touched(session: Session) -> tuple[set[int], set[int], set[int]]:
    cohorts: set[int] = set()
    enrollments: set[int] = set()
    outcomes: set[int] = set()
    for group, is_change in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for obj in group:
            names = _WATCHED.get(type(obj))
            if names is None or (is_change and not _changed(obj, names)):
                continue
            if isinstance(obj, Cohort):
                if is_change:
                    cohorts |= flushed_values(obj, "id")
            elif isinstance(obj, Enrollment):
                cohorts |= flushed_values(obj, "cohort_id")
            elif isinstance(obj, Outcome):
                enrollments |= flushed_values(obj, "enrollment_id")
            elif isinstance(obj, RetentionCheck):
                outcomes |= flushed_values(obj, "outcome_id")
    return cohorts, enrollments, outcomes


def _labels_touched(session: Session) -> bool:
    """A campus, course or cohort added, changed or removed: the reports name and group
    their rows by these (and pick their cohorts by dates), so the kept figures go. So do
    accounts added, removed, renamed, or given another address, role, campus or state: the
    dashboards count them and the accounts' download lists them (a log-in, which only
    stamps the account, keeps them); and a completion date moved."""
    dirty = session.dirty  # a new set at each reading: read once, compared by identity
    for group in (session.new, dirty, session.deleted):
        for obj in group:
            if isinstance(obj, _LABELLED):
                # Dirty may mean only a collection of it changed (an account of a campus):
                # a column of its own must have.
                if group is not dirty or _changed(obj, _columns(obj)):
                    return True
                continue
            counted = _COUNTED.get(type(obj))
            if counted and (group is not dirty or _changed(obj, counted)):
                return True
    return False


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    exam_tallies.before_flush(session)


def _after_flush(session: Session, flush_context: Any) -> None:
    exam_tallies.refresh(session.connection(), exam_tallies.touched_exams(session))
    cohorts, enrollments, outcomes = _touched(session)
    if not (cohorts or enrollments or outcomes):
        if _labels_touched(session):
            figures_cache.raise_version(session.connection())
        return
    connection = session.connection()
    if outcomes:
        enrollments |= set(
            connection.scalars(
                sa.select(Outcome.enrollment_id).where(Outcome.id.in_(sorted(outcomes)))
            )
        )
    if enrollments:
        cohorts |= set(
            connection.scalars(
                sa.select(Enrollment.cohort_id).where(Enrollment.id.in_(sorted(enrollments)))
            )
        )
    refresh(connection, cohorts)


def install() -> None:
    """Listen to every ORM flush (once per process): the figures per cohort here, and per
    exam and campus in reports.exam_tallies."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
