"""Labels of records named in the audit and access logs, in the reader's language.

Log entries keep the label a record had when they were written (in Korean, the language
staff write in), so that an entry still reads after the record is gone. A cohort label is
made by the app, not typed ("(구로1기/AI융합) …"), so an English reader gets it in English
from the live record when it still exists: one query per request for every cohort the
entries already loaded in the session name, not one per entry.
"""

from __future__ import annotations

from flask import g
from flask_babel import get_locale
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import AuditEntry, Cohort, Course, PersonalDataAccess


def with_cohort_labels_localised(stored: str) -> str:
    """An audit entry's stored label with every cohort label in it in the reader's language.

    Labels hold a cohort's label whole ("(구로2기/AI융합) …", "… · (구로2기/AI융합) …",
    "(구로2기/AI융합) … 2026-12-01"), whatever the record was: they are matched as text
    against the cohorts of the campuses the loaded entries belong to, one query a request.
    """
    if str(get_locale()) == "ko" or not stored:
        return stored
    labels: dict[str, str] | None = g.get("_localised_cohort_labels")
    if labels is None:
        labels = g._localised_cohort_labels = _labels_of_campuses_in_loaded_entries()
    for korean in sorted(labels, key=len, reverse=True):
        if korean in stored:
            stored = stored.replace(korean, labels[korean])
    return stored


def _labels_of_campuses_in_loaded_entries() -> dict[str, str]:
    campus_ids = {
        entry.campus_id
        for entry in list(db.session.identity_map.values())
        if isinstance(entry, AuditEntry) and entry.campus_id
    }
    if not campus_ids:
        return {}
    locale = str(get_locale())
    cohorts = db.session.scalars(
        db.select(Cohort)
        .join(Course, Course.id == Cohort.course_id)
        .where(Course.campus_id.in_(campus_ids))
        .options(joinedload(Cohort.course).joinedload(Course.campus))
    ).all()
    return {cohort.label("ko"): cohort.label(locale) for cohort in cohorts}


def cohort_label(cohort_id: int | None, stored: str) -> str:
    """The cohort's label in the reader's language, or the stored one if it no longer exists."""
    if not cohort_id:
        return stored
    labels = _labels()
    if cohort_id not in labels:
        labels.update(_load({cohort_id}))
    return labels.get(cohort_id) or stored


def _labels() -> dict[int, str | None]:
    labels: dict[int, str | None] | None = g.get("_live_cohort_labels")
    if labels is None:
        labels = g._live_cohort_labels = _load(_cohorts_named_in_loaded_entries())
    return labels


def _cohorts_named_in_loaded_entries() -> set[int]:
    ids: set[int] = set()
    for entry in list(db.session.identity_map.values()):
        if isinstance(entry, AuditEntry) and entry.object_type == "Cohort" and entry.object_id:
            ids.add(entry.object_id)
        elif (
            isinstance(entry, PersonalDataAccess)
            and entry.subject_type == "Cohort"
            and entry.subject_id
        ):
            ids.add(entry.subject_id)
    return ids


def _load(ids: set[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    locale = str(get_locale())
    cohorts = db.session.scalars(
        db.select(Cohort)
        .where(Cohort.id.in_(ids))
        .options(joinedload(Cohort.course).joinedload(Course.campus))
    ).all()
    found: dict[int, str | None] = {cohort.id: cohort.label(locale) for cohort in cohorts}
    return {cohort_id: found.get(cohort_id) for cohort_id in ids}
