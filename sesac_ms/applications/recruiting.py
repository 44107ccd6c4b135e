"""The public front door's use-cases: cohorts recruiting now, their links, lost status links.

Services flush, never commit; nothing here raises: the front door answers every visitor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from .. import notify
from ..auth.services import normalise_email
from ..clock import today_in_seoul
from ..extensions import db
from ..models import Application, Campus, Cohort, CohortStatus, Course, Track
from .services import status_link


@dataclass(frozen=True)
class RecruitingFilters:
    """The visitor's filters; None shows every campus or field."""

    campus_id: int | None = None
    track: Track | None = None


def _recruiting(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Cohort.status == CohortStatus.RECRUITING,
        Cohort.recruit_start_on <= today,
        Cohort.recruit_end_on >= today,
    )


def recruiting_cohorts(filters: RecruitingFilters, today: date | None = None) -> list[Cohort]:
    """Cohorts recruiting now, with course and campus, in campus opening order: one query."""
    today = today or today_in_seoul()
    stmt = (
        db.select(Cohort)
        .join(Cohort.course)
        .join(Course.campus)
        .options(contains_eager(Cohort.course).contains_eager(Course.campus))
        .where(_recruiting(today))
        .order_by(
            Campus.opening_order.nulls_last(), Campus.name_ko, Cohort.recruit_end_on, Cohort.id
        )
    )
    if filters.campus_id is not None:
        stmt = stmt.where(Course.campus_id == filters.campus_id)
    if filters.track is not None:
        stmt = stmt.where(Course.track == filters.track)
    return list(db.session.scalars(stmt).unique())


def recruiting_campuses(today: date | None = None) -> list[tuple[Campus, int]]:
    """Campuses with a cohort recruiting now and how many, counted in SQL (the campus filter)."""
    today = today or today_in_seoul()
    rows = db.session.execute(
        db.select(Campus, sa.func.count(Cohort.id))
        .join(Course, Course.campus_id == Campus.id)
        .join(Cohort, Cohort.course_id == Course.id)
        .where(_recruiting(today))
        .group_by(Campus.id)
        .order_by(Campus.opening_order.nulls_last(), Campus.name_ko)
    )
    return [(campus, count) for campus, count in rows]


def cohort_slug(cohort: Cohort) -> str:
    """The readable part of a cohort's public link: campus and number, e.g. "guro-3".

    The link is /apply/<id>-<slug>: the id keeps it stable when a name changes, and a
    link with an old or no slug is redirected to the current one.
    """
    name = re.sub(r"[^a-z0-9]+", "-", cohort.course.campus.name_en.lower()).strip("-")
    return f"{name or 'campus'}-{cohort.number}"


def mail_status_links(email: str, locale: str) -> None:
    """Mail the address the private status link of every application it sent, if any.

    An address that never applied gets nothing, and the caller answers alike either way,
    so the page tells nobody who applied; only the mailbox's owner learns it.
    """
    address = normalise_email(email)
    applications = list(
        db.session.scalars(
            db.select(Application)
            .where(Application.email == address)
            .order_by(Application.consented_at.desc(), Application.id.desc())
        )
    )
    if not applications:
        return
    notify.send(
        notify.Recipient(name=applications[0].name, email=address, locale=locale),
        "status_links",
        applications=[(a.cohort.label, status_link(a)) for a in applications],
    )
