"""Follow-ups due: tell a trainee the day before a follow-up of their 1:1 session is due.

Meant for a daily cron (`flask --app sesac_ms sessions follow-up-reminders`). A follow-up
not done whose due date is tomorrow in Seoul is told today; one due today is told too if it
was not told yet (written after yesterday's run, or a day the cron missed). Each is told
once: `follow_ups.reminded_at` is set by a conditional UPDATE (… WHERE reminded_at IS
NULL) before the message is queued, and only the run whose UPDATE changed the row sends,
so two runs at once, or a run repeated the same day, tell nobody twice. A trainee whose
account is closed is not told. (The session reminders are `services.send_reminders`.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from .. import notify
from ..clock import SEOUL
from ..extensions import db
from ..links import external_url
from ..models import CoachingSession, FollowUp, User
from ..models.types import utcnow


def due_follow_ups(now: datetime) -> list[tuple[FollowUp, User]]:
    """The follow-ups not done and not told yet that are due today or tomorrow (Seoul),
    each with its trainee (active accounts only), in one query."""
    today = now.astimezone(SEOUL).date()
    rows = db.session.execute(
        db.select(FollowUp, User)
        .join(CoachingSession, CoachingSession.id == FollowUp.session_id)
        .join(User, User.id == CoachingSession.trainee_id)
        .where(
            FollowUp.due_on.in_((today, today + timedelta(days=1))),
            FollowUp.done_at.is_(None),
            FollowUp.reminded_at.is_(None),
            User.active.is_(True),
        )
        .options(lazyload(FollowUp.session), lazyload(User.campus))
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    return [(follow_up, trainee) for follow_up, trainee in rows]


def _claim(follow_up: FollowUp, now: datetime) -> bool:
    """Mark the follow-up told; False when another run marked it since it was read."""
    claimed = db.session.execute(
        sa.update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def send_follow_up_reminders(now: datetime | None = None) -> int:
    """Queue a `follow_up_due` message for each follow-up due tomorrow (or today, if not
    told yet), each once; return how many this run told. The caller commits."""
    now = now or utcnow()
    sent = 0
    for follow_up, trainee in due_follow_ups(now):
        if not _claim(follow_up, now):
            continue
        notify.send(
            trainee,
            "follow_up_due",
            due_on=follow_up.due_on,
            text=follow_up.text,
            link=external_url("sessions.show", session_id=follow_up.session_id),
        )
        sent += 1
    return sent
