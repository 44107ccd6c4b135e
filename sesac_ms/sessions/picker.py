"""The trainee picker of the session forms: a few likely choices, and a search for the rest."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import (
    get_locale,
    gettext,
    ngettext,
)

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
    stmt = _trainees_of(staff, User.id, User.name, Cohort.id).order_by(User.name, Cohort.id)
    if query:
        stmt = stmt.where(
            sa.or_(
                User.name.icontains(query, autoescape=True),
                User.email.istartswith(query, autoescape=True),
            )
        )
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    if more and not query:
        # The trainees of the staff member's latest sessions (by when they end, planned ones
        # first), read backwards from the (staff, end) index: no session is sorted, and none
        # of the years before is read.
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
        rows = db.session.execute(stmt.where(User.id.in_(recent)).limit(limit + 1)).all()
    rows = rows[:limit]
    locale = str(get_locale())
    cohort_ids = {cohort_id for _, _, cohort_id in rows}
    labels = (
        {
            cohort.id: cohort.label(locale)
            for cohort in db.session.scalars(db.select(Cohort).where(Cohort.id.in_(cohort_ids)))
        }
        if cohort_ids
        else {}
    )
    choices = [
        (f"{trainee_id}:{cohort_id}", f"{name} · {labels[cohort_id]}")
        for trainee_id, name, cohort_id in rows
    ]
    return TraineePicker(choices, query, more)
