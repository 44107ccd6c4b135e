"""The trainee picker of the session forms: a few likely choices, and a search for the rest."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import (
    get_locale,
    gettext,
    ngettext,
)

from ..cohorts.names import cohort_names, names_query
from ..extensions import db
from ..models import (
    CoachingSession,
    Cohort,
    User,
)
from .services import _trainees_of

# The session forms' trainee picker lists at most this many; past it, a search finds the rest.
PICKER_LIMIT = 30


RECENT_SESSIONS = 200


@dataclass
class TraineePicker:
    choices: list[tuple[str, str]]  # ("trainee_id:cohort_id", "name · cohort")
    query: str = ""
    more: bool = False  # the staff member has more trainees (or matches) than listed

    @property
    def message(self) -> str:
        """What the list holds, said beside the search box (and read by screen readers)."""
        if self.query and not self.choices:
            return gettext("No trainee matches “%(query)s”.", query=self.query)
        if self.query and self.more:
            return gettext(
                "The first %(n)d matches are listed: type more of the name.", n=len(self.choices)
            )
        if self.query:
            return ngettext("%(num)d trainee found.", "%(num)d trainees found.", len(self.choices))
        if self.more and not self.choices:
            return gettext("Search for the trainee by name.")
        if self.more:
            return gettext("Your recent trainees are listed: search to find another.")
        return ""


def trainee_picker(staff: User, query: str = "", *, limit: int | None = None) -> TraineePicker:
    """The trainees the session forms offer a staff member, at most `limit` of them.

    With a query: those whose name contains it or whose e-mail starts with it. Without:
    all of them when they are few (PICKER_LIMIT by default); else the trainees of the staff
    member's latest RECENT_SESSIONS sessions (booked, scheduled or logged). By name.
    A coordinator's campus has hundreds of trainees: the page lists a few dozen.
    """
    limit = limit or PICKER_LIMIT
    query = " ".join((query or "").split())[:100]
    stmt = _trainees_of(
        staff, User.id.label("trainee_id"), User.name.label("name"), Cohort.id.label("cohort_id")
    )
    if query:
        stmt = stmt.where(
            sa.or_(
                User.name.icontains(query, autoescape=True),
                User.email.istartswith(query, autoescape=True),
            )
        ).order_by(User.name, Cohort.id)
        rows = db.session.execute(stmt.limit(limit + 1)).all()
        more = len(rows) > limit
    else:
        rows, more = _likely_trainees(staff, stmt, limit)
    rows = rows[:limit]
    locale = str(get_locale())
    cohort_ids = sorted({row.cohort_id for row in rows})
    labels = (
        {
            cohort.id: cohort.label(locale)
            for cohort in cohort_names(names_query().where(Cohort.id.in_(cohort_ids)))
        }
        if cohort_ids
        else {}
    )
    choices = [
        (f"{row.trainee_id}:{row.cohort_id}", f"{row.name} · {labels[row.cohort_id]}")
        for row in rows
    ]
    return TraineePicker(choices, query, more)


def _likely_trainees(staff: User, trainees: sa.Select, limit: int) -> tuple[list[sa.Row], bool]:
    """All the staff member's trainees when they are at most `limit`, else those of their
    latest sessions; and whether they have more trainees than that. One statement: each
    trainee is counted and marked recent or not, then the few are kept."""
    # The trainees of the staff member's latest sessions (by when they end, planned ones
    # first), read backwards from the (staff, end) index: no session is sorted, and none of
    # the years before is read.
    latest = (
        db.select(CoachingSession.trainee_id, CoachingSession.ends_at)
        .where(CoachingSession.staff_id == staff.id)
        .order_by(CoachingSession.ends_at.desc())
        .limit(RECENT_SESSIONS)
        .subquery()
    )
    recent = (
        db.select(latest.c.trainee_id)
        .group_by(latest.c.trainee_id)
        .order_by(sa.func.max(latest.c.ends_at).desc())
        .limit(limit)
    )
    counted = trainees.add_columns(
        sa.func.count().over().label("total"), User.id.in_(recent).label("recent")
    ).subquery("counted")
    rows = db.session.execute(
        db.select(counted.c.trainee_id, counted.c.name, counted.c.cohort_id, counted.c.total)
        .where(sa.or_(counted.c.total <= limit, counted.c.recent))
        .order_by(counted.c.name, counted.c.cohort_id)
        .limit(limit + 1)
    ).all()
    if rows:
        return rows, rows[0].total > limit
    # None listed: no trainee at all, or many and none met lately (rare: a second look).
    return rows, bool(db.session.scalar(db.select(sa.exists(trainees))))
