"""1:1 coverage of a cohort: who has had how many sessions of each kind, and who to contact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from ..clock import SEOUL
from ..extensions import db
from ..models import (
    CoachingSession,
    Cohort,
    Enrollment,
    EnrollmentStatus,
    FollowUp,
    SessionKind,
    SessionStatus,
    User,
)
from ..models.types import UTCDateTime


@dataclass
class CoverageRow:
    enrollment_id: int
    user_id: int
    name: str
    by_kind: dict[str, int]
    total: int
    no_shows: int
    last_at: datetime | None
    open_follow_ups: int
    counts: list[int] = field(default_factory=list)  # completed sessions by SessionKind order
    last_on: date | None = None  # last_at's day in Seoul


def coverage(cohort: Cohort) -> tuple[list[CoverageRow], dict[str, int], float | None]:
    """Per trainee: completed sessions by kind, no-shows, last session, open follow-ups.

    Returns the rows, the number of trainees without a session of each kind, and the
    cohort's no-show rate. A fixed number of queries.
    """
    # A cohort's trainees by name, as plain rows: only what the page shows.
    trainees = db.session.execute(
        db.select(Enrollment.id, Enrollment.user_id, User.name)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == EnrollmentStatus.ENROLLED)
        .order_by(User.name, Enrollment.id)
    ).all()
    counts = db.session.execute(
        db.select(
            CoachingSession.trainee_id,
            CoachingSession.kind,
            CoachingSession.status,
            sa.func.count(),
            sa.type_coerce(sa.func.max(CoachingSession.starts_at), UTCDateTime()),
        )
        .where(CoachingSession.cohort_id == cohort.id)
        .group_by(CoachingSession.trainee_id, CoachingSession.kind, CoachingSession.status)
    ).all()
    # Each of the cohort's sessions counts its open follow-ups by the partial index
    # (models.FollowUp), a probe per session: joined, PostgreSQL merged the cohort's
    # sessions with every open follow-up of the academy (6 ms at twice Seoul's size,
    # growing with history; 0.3 ms so).
    open_of_session = (
        db.select(sa.func.count())
        .where(FollowUp.session_id == CoachingSession.id, FollowUp.done_at.is_(None))
        .scalar_subquery()
    )
    follow_ups = {
        trainee_id: int(n or 0)
        for trainee_id, n in db.session.execute(
            db.select(CoachingSession.trainee_id, sa.func.sum(open_of_session))
            .where(CoachingSession.cohort_id == cohort.id)
            .group_by(CoachingSession.trainee_id)
        )
    }
    per: dict[int, dict] = {}
    done = no_show = 0
    for trainee_id, kind, status, n, last in counts:
        entry = per.setdefault(trainee_id, {"by_kind": {}, "no_shows": 0, "last": None})
        if status == SessionStatus.COMPLETED:
            entry["by_kind"][str(kind)] = entry["by_kind"].get(str(kind), 0) + n
            done += n
            entry["last"] = max(filter(None, [entry["last"], last]), default=None)
        elif status == SessionStatus.NO_SHOW:
            entry["no_shows"] += n
            no_show += n
    rows = []
    kinds = [kind.value for kind in SessionKind]
    for enrollment_id, user_id, name in trainees:
        entry = per.get(user_id, {"by_kind": {}, "no_shows": 0, "last": None})
        by_kind, last = entry["by_kind"], entry["last"]
        rows.append(
            CoverageRow(
                enrollment_id,
                user_id,
                name,
                by_kind,
                sum(by_kind.values()),
                entry["no_shows"],
                last,
                follow_ups.get(user_id, 0),
                [by_kind.get(kind, 0) for kind in kinds],
                last.astimezone(SEOUL).date() if last is not None else None,
            )
        )
    missing = {
        kind.value: sum(1 for row in rows if not row.by_kind.get(kind.value))
        for kind in SessionKind
    }
    rate = 100.0 * no_show / (done + no_show) if done + no_show else None
    return rows, missing, rate


def to_contact(
    cohort: Cohort, limit: int = 10, *, rows: list[CoverageRow] | None = None
) -> list[CoverageRow]:
    """Trainees to contact next: no mentoring yet, fewest sessions, open follow-ups first.

    `rows`: the cohort's coverage rows when the caller has them already."""
    if rows is None:
        rows, _, _ = coverage(cohort)
    return sorted(
        rows,
        key=lambda r: (
            bool(r.by_kind.get("mentoring")),
            r.total,
            -r.open_follow_ups,
            r.name,
        ),
    )[:limit]
