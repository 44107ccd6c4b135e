"""Cohorts as schedules, dashboards and forms name them (label, hours, dates), as columns.

A schedule names a handful of cohorts; loading each as a model, with the course and
campus it joins eagerly, costs more than the rest of its rows. These records hold what
`Cohort.label` reads and use that very method, so the label is made in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Campus, Cohort, Course
from ..models.campus import Track


@dataclass(frozen=True, slots=True)
class _Campus:
    name_ko: str
    name_en: str


@dataclass(frozen=True, slots=True)
class _Course:
    title: str
    title_en: str | None
    track: Track
    campus: _Campus
    campus_id: int | None = None

    display_title = Course.display_title


@dataclass(frozen=True, slots=True)
class CohortName:
    """A cohort's label (`label(locale)`, as `Cohort.label`) and daily class hours."""

    id: int
    number: int
    class_starts_at: time
    class_ends_at: time
    course: _Course

    label = Cohort.label


def label_columns() -> tuple:
    """The columns a cohort's label reads (`course_name` takes them in this order), with the
    campus's id; the caller joins Course and Campus."""
    return (
        Course.title,
        Course.title_en,
        Course.track,
        Campus.name_ko,
        Campus.name_en,
        Course.campus_id,
    )


def course_name(
    title: str, title_en: str | None, track: Track, name_ko: str, name_en: str, campus_id: int
) -> _Course:
    """A course as a cohort's label reads it (`Cohort.label`), from `label_columns`."""
    return _Course(title, title_en, track, _Campus(name_ko, name_en), campus_id)


def _course_of(row: sa.Row) -> _Course:
    return course_name(row.title, row.title_en, row.track, row.name_ko, row.name_en, row.campus_id)


def names_query() -> sa.Select:
    """What a CohortName holds, by cohort id: add the joins and filters that choose them."""
    return (
        db.select(Cohort.id, Cohort.number, Cohort.class_starts_at, Cohort.class_ends_at)
        .add_columns(*label_columns())
        .join(Course, Course.id == Cohort.course_id)
        .join(Campus, Campus.id == Course.campus_id)
        .order_by(Cohort.id)
    )


@dataclass(frozen=True, slots=True)
class CohortLine:
    """A cohort as a list of cohorts shows it (`label(locale)`, as `Cohort.label`)."""

    id: int
    number: int
    status: Any  # CohortStatus
    start_on: date
    end_on: date
    capacity: int
    course: _Course

    label = Cohort.label


def line_columns() -> tuple:
    """The columns a CohortLine is made of (`cohort_line`); the caller joins Course and Campus."""
    return (
        Cohort.id,
        Cohort.number,
        Cohort.status,
        Cohort.start_on,
        Cohort.end_on,
        Cohort.capacity,
        *label_columns(),
    )


def cohort_line(row: sa.Row) -> CohortLine:
    return CohortLine(
        row.id, row.number, row.status, row.start_on, row.end_on, row.capacity, _course_of(row)
    )


def cohort_name(row: sa.Row) -> CohortName:
    """A row of `names_query()` (and whatever columns the caller added) as a CohortName."""
    return CohortName(row.id, row.number, row.class_starts_at, row.class_ends_at, _course_of(row))


def cohort_names(stmt: sa.Select, params: dict | None = None) -> list[CohortName]:
    """The cohorts `stmt` (a `names_query()` narrowed down) finds, given its `params`."""
    return [cohort_name(row) for row in db.session.execute(stmt, params)]
