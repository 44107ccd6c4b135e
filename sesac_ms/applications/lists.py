"""The manager's long lists, built for showing: a cohort's applicants and interview slots.

Only the shown columns are read; every label and message is worked out once per distinct
value, and times are written the way the `datetime` filter writes them (Asia/Seoul,
"yyyy-MM-dd HH:mm", the same digits in both languages) without a trip through Babel per
row. A page of fifty applicants costs little more than a page of five.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext
from flask_sqlalchemy.pagination import Pagination

from .. import paging
from ..clock import SEOUL
from ..extensions import db
from ..models import Application, Cohort, InterviewSlot, Stage, User
from .services import SORTS, PipelineFilters, flag_message, stage_label

T = TypeVar("T")


def minute(value: datetime) -> str:
    """A stored (UTC) time as the `datetime` filter shows it: Seoul's "yyyy-MM-dd HH:mm"."""
    return f"{value.astimezone(SEOUL):%Y-%m-%d %H:%M}"


class Labels:
    """Each (label function, value) worked out once for the whole list."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Callable[[Any], Any], Hashable], Any] = {}

    def __call__(self, label: Callable[[Any], T], value: Hashable) -> T:
        key = (label, value)
        try:
            return self._kept[key]
        except KeyError:
            text = self._kept[key] = label(value)
            return text


def _flag_messages(flags: str | None) -> list[str]:
    """The messages of eligibility flags stored as JSON text."""
    return [flag_message(flag) for flag in json.loads(flags or "[]") or ()]


# --- a cohort's applicants ------------------------------------------------------------


@dataclass(slots=True)
class ApplicantRow:
    """One applicant's line on the pipeline, every text ready to show."""

    id: int
    name: str
    email: str
    stage: str  # the stage's label
    waitlist_rank: int | None
    flags: list[str] | None  # the eligibility flags' messages; None when eligible
    average: str  # "81.5", or "—" before any score
    submitted: str
    select_label: str  # the check box's name for screen readers


def _pipeline_select(cohort: Cohort, filters: PipelineFilters) -> sa.Select:
    """The cohort's applicants the filters keep, in the order asked for, with only the
    shown columns."""
    stmt = db.select(
        Application.id,
        Application.name,
        Application.email,
        Application.stage,
        Application.waitlist_rank,
        Application.eligible,
        # As its JSON text: a page's rows are told apart as a whole (paging's uniqueness),
        # which a list value cannot be; the text also keys the messages worked out once.
        sa.cast(Application.eligibility_flags, sa.Text),
        Application.average_score,
        Application.submitted_at,
    ).where(Application.cohort_id == cohort.id)
    if filters.stage in set(Stage):
        stmt = stmt.where(Application.stage == filters.stage)
    if filters.eligible in ("yes", "no"):
        stmt = stmt.where(Application.eligible.is_(filters.eligible == "yes"))
    if filters.score_min is not None:
        stmt = stmt.where(Application.average_score >= filters.score_min)
    if filters.score_max is not None:
        stmt = stmt.where(Application.average_score <= filters.score_max)
    if filters.q:
        term = filters.q.strip().lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Application.name).contains(term, autoescape=True),
                Application.email.contains(term, autoescape=True),
                Application.phone.contains(term, autoescape=True),
            )
        )
    return stmt.order_by(*SORTS.get(filters.sort, SORTS["submitted"]))


def _known_total(filters: PipelineFilters, counts: dict[str, int]) -> int | None:
    """The number of applicants the filters keep, when the stage counts already say it."""
    if filters.eligible in ("yes", "no") or filters.q or filters.score_min is not None:
        return None
    if filters.score_max is not None:
        return None
    if filters.stage in set(Stage):
        return counts.get(filters.stage, 0)
    return sum(counts.values())


def applicants_page(
    cohort: Cohort, filters: PipelineFilters, counts: dict[str, int], per_page: int = 50
) -> tuple[Pagination, list[ApplicantRow]]:
    """One page of the cohort's applicants (page from the URL) and its rows to show.

    `counts` are the cohort's `stage_counts`: without other filters than the stage, they
    give the list's length, and the page costs one query instead of two.
    """
    page = paging.numbered(
        _pipeline_select(cohort, filters), per_page, total=_known_total(filters, counts)
    )
    once = Labels()
    select = gettext("Select %(name)s")  # formatted per row below, translated once
    rows = []
    for id_, name, email, stage, rank, eligible, flags, average, submitted in page.items:
        rows.append(
            ApplicantRow(
                id=id_,
                name=name,
                email=email,
                stage=once(stage_label, stage),
                waitlist_rank=rank,
                flags=None if eligible else once(_flag_messages, flags),
                average="—" if average is None else "%.1f" % average,  # noqa: UP031 (as the filter did)
                submitted=minute(submitted),
                select_label=select % {"name": name},
            )
        )
    return page, rows


# --- a cohort's interview slots -------------------------------------------------------


@dataclass(slots=True)
class SlotRow:
    """One interview slot, every text ready to show."""

    id: int
    when: str  # "yyyy-MM-dd HH:mm–HH:mm", Seoul time
    starts: str  # "yyyy-MM-dd HH:mm"
    interviewer: str
    location: str
    application_id: int | None  # the applicant booked in it, if any
    applicant: str
    remove_confirm: str  # the question before removing a free slot


def slot_rows(cohort: Cohort) -> list[SlotRow]:
    """The cohort's interview slots by time, with the applicant booked in each."""
    confirm = gettext("The interview slot of %(name)s on %(when)s will be removed.")
    rows = []
    for (
        slot_id,
        starts_at,
        ends_at,
        location,
        interviewer,
        application_id,
        applicant,
    ) in db.session.execute(
        db.select(
            InterviewSlot.id,
            InterviewSlot.starts_at,
            InterviewSlot.ends_at,
            InterviewSlot.location,
            User.name,
            Application.id,
            Application.name,
        )
        .join(User, User.id == InterviewSlot.interviewer_id)
        .outerjoin(Application, Application.interview_slot_id == InterviewSlot.id)
        .where(InterviewSlot.cohort_id == cohort.id)
        .order_by(InterviewSlot.starts_at)
    ):
        starts = minute(starts_at)
        rows.append(
            SlotRow(
                id=slot_id,
                when=f"{starts}–{ends_at.astimezone(SEOUL):%H:%M}",
                starts=starts,
                interviewer=interviewer,
                location=location,
                application_id=application_id,
                applicant=applicant or "",
                remove_confirm=""
                if application_id
                else confirm % {"name": interviewer, "when": starts},
            )
        )
    return rows
