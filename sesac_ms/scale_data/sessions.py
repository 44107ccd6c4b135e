"""1:1 sessions (mentoring, portfolio coaching, mock interviews, career counselling).

About ten a trainee, with the coordinators and mentors assigned to the cohort (a mentor
only meets the trainees of their cohorts), outside class hours: weekday evenings and
Saturdays during the course, office hours too once it has ended. Each session starts on
the hour and lasts at most an hour, so a person is booked by the hour: nobody is in two
sessions at once, sessions of the demo data included. Past sessions were held (a few
cancelled or missed), the coming weeks' are scheduled or requested.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import logs
from .context import CohortPlan, Context, Staff, Trainee, at
from .names import CANCEL_REASONS, FOLLOW_UPS, ONLINE, ROOMS, SESSION_SUMMARIES, STAFF_NOTES

SESSION_COLUMNS = (
    "id", "cohort_id", "trainee_id", "staff_id", "kind", "status", "starts_at", "ends_at",
    "location", "summary", "staff_notes", "links", "cancel_reason", "created_by_id",
    "reminder_sent_at", "created_at", "updated_at",
)  # fmt: skip
FOLLOW_UP_COLUMNS = ("id", "session_id", "text", "due_on", "done_at")
SESSIONS_PER_TRAINEE = 12.5  # of a full course: ~10 a trainee on average
AFTER_END_DAYS = 45  # completed trainees still meet their coordinator for a while
AHEAD_DAYS = 21  # how far ahead a running cohort's sessions are booked

IN_COURSE_HOURS = {0: (18, 19, 20), 1: (18, 19, 20), 2: (18, 19, 20), 3: (18, 19, 20),
                   4: (18, 19, 20), 5: (9, 10, 11, 13, 14, 15, 16, 17), 6: ()}  # fmt: skip
AFTER_COURSE_HOURS = {d: (10, 11, 13, 14, 15, 16, 17, 18, 19) for d in range(5)}
AFTER_COURSE_HOURS.update({5: (10, 11, 13, 14, 15, 16), 6: ()})
# Kinds by phase: (mentoring, portfolio, mock_interview, career)
KINDS = ("mentoring", "portfolio", "mock_interview", "career")
PHASE_MIX = {"early": (50, 30, 0, 20), "late": (30, 25, 25, 20), "after": (5, 10, 40, 45)}


def declare(ctx: Context) -> None:
    ctx.writer.declare("coaching_sessions", SESSION_COLUMNS)
    ctx.writer.declare("follow_ups", FOLLOW_UP_COLUMNS)


def hour_key(day: date, hour: int) -> int:
    return day.toordinal() * 24 + hour


def mark_busy(ctx: Context, staff_id: int, starts_key: int, ends_key: int) -> None:
    """Book every hour a session of the demo data touches (keys: first and last hour)."""
    hours = ctx.busy.setdefault(staff_id, set())
    hours.update(range(starts_key, ends_key + 1))


def prune(ctx: Context, before: date) -> None:
    """Forget hours before `before`: the cohorts still to come book later hours only."""
    limit = hour_key(before, 0)
    for staff_id, hours in ctx.busy.items():
        ctx.busy[staff_id] = {h for h in hours if h >= limit}


def _window(ctx: Context, cohort: CohortPlan, trainee: Trainee) -> tuple[date, date]:
    first = cohort.start_on + timedelta(days=7)
    if trainee.status == "completed":
        last = cohort.end_on + timedelta(days=AFTER_END_DAYS)
    elif trainee.status == "enrolled":
        last = ctx.today + timedelta(days=AHEAD_DAYS)
    else:
        assert trainee.status_on is not None
        last = trainee.status_on - timedelta(days=1)
    return first, min(last, ctx.today + timedelta(days=AHEAD_DAYS))


def sessions(ctx: Context, cohort: CohortPlan, trainees: list[Trainee]) -> None:
    rng = ctx.rng
    if not cohort.coordinators and not cohort.mentors:
        return
    full = (cohort.end_on + timedelta(days=AFTER_END_DAYS)) - (cohort.start_on + timedelta(days=7))
    for trainee in trainees:
        first, last = _window(ctx, cohort, trainee)
        if last < first:
            continue
        share = min(1.0, ((last - first).days + 1) / max(1, full.days))
        wanted = max(1, round(rng.gauss(SESSIONS_PER_TRAINEE, 3))) * share
        if trainee.profile >= 2:
            wanted *= 0.8
        taken: set[int] = set()
        for _ in range(round(wanted)):
            _one(ctx, cohort, trainee, first, last, taken)


def _one(
    ctx: Context,
    cohort: CohortPlan,
    trainee: Trainee,
    first: date,
    last: date,
    taken: set[int],
) -> None:
    rng = ctx.rng
    span = (last - first).days
    for _attempt in range(8):
        day = first + timedelta(days=rng.randint(0, span))
        after = day > cohort.end_on
        hours = (AFTER_COURSE_HOURS if after else IN_COURSE_HOURS)[day.weekday()]
        if not hours:
            continue
        phase = (
            "after"
            if after
            else "early"
            if day < cohort.start_on + (cohort.end_on - cohort.start_on) / 2
            else "late"
        )
        kind = rng.choices(KINDS, PHASE_MIX[phase])[0]
        pool = cohort.mentors if kind == "mentoring" else cohort.coordinators
        if not pool:
            kind, pool = "career", cohort.coordinators
            if not pool:
                kind, pool = "mentoring", cohort.mentors
        staff = rng.choices(pool, [s.weight for s in pool])[0]
        hour = rng.choice(hours)
        key = hour_key(day, hour)
        busy = ctx.busy.setdefault(staff.id, set())
        if key in busy or key in taken:
            continue
        busy.add(key)
        taken.add(key)
        _write(ctx, cohort, trainee, staff, kind, day, hour)
        return


def _write(
    ctx: Context,
    cohort: CohortPlan,
    trainee: Trainee,
    staff: Staff,
    kind: str,
    day: date,
    hour: int,
) -> None:
    rng, writer = ctx.rng, ctx.writer
    campus = cohort.campus
    starts = at(day, hour)
    ends = starts + timedelta(minutes=ctx.session_minutes[kind])
    past = starts < ctx.now
    roll = rng.random()
    if past:
        status = "completed" if roll < 0.86 else "no_show" if roll < 0.91 else "cancelled"
    else:
        status = "scheduled" if roll < 0.85 else "requested" if roll < 0.95 else "cancelled"
    booked_by_trainee = status == "requested" or rng.random() < 0.3
    created = ctx.clamp(at(day - timedelta(days=rng.randint(2, 14)), rng.randint(9, 21)))
    created = min(created, starts - timedelta(hours=1))
    summary = notes = links = ""
    cancel_reason = None
    updated = created
    if status == "completed":
        if rng.random() < 0.75:
            summary = rng.choice(SESSION_SUMMARIES[kind])
        if rng.random() < 0.5:
            notes = rng.choice(STAFF_NOTES)
        if kind == "portfolio" and rng.random() < 0.2:
            links = f"https://github.example/{trainee.email.split('@', 1)[0]}/portfolio"
        updated = ctx.clamp(ends + timedelta(minutes=rng.randint(5, 180)))
    elif status == "cancelled":
        cancel_reason = rng.choice(CANCEL_REASONS)
        updated = ctx.clamp(created + (starts - created) * rng.random())
    elif status == "no_show":
        updated = ctx.clamp(ends + timedelta(minutes=rng.randint(5, 60)))
    reminded = at(day - timedelta(days=1), 9) if past and status != "cancelled" else None
    location = ONLINE if rng.random() < 0.25 else f"{campus.name_ko}캠퍼스 {rng.choice(ROOMS)}"
    session_id = writer.next_id("coaching_sessions")
    writer.add(
        "coaching_sessions",
        (
            session_id, cohort.id, trainee.user_id, staff.id, kind, status, starts, ends,
            location, summary, notes, links, cancel_reason,
            trainee.user_id if booked_by_trainee else staff.id, reminded, created, updated,
        ),
    )  # fmt: skip
    if status == "completed" and rng.random() < 0.22:
        due = day + timedelta(days=rng.randint(7, 14))
        done = None
        if due < ctx.today and rng.random() < 0.8:
            done = ctx.clamp(at(due - timedelta(days=rng.randint(0, 5)), rng.randint(9, 22)))
        writer.add(
            "follow_ups",
            (writer.next_id("follow_ups"), session_id, rng.choice(FOLLOW_UPS), due, done),
        )
    label = f"{trainee.name} · {staff.name}"
    if rng.random() < logs.SESSION_SHARE:
        if status == "completed":
            action, moment = "session.logged", updated
            changes: dict = {"status": ["scheduled", "completed"]}
            if summary:
                changes["summary"] = [None, summary]
            if notes:
                changes["staff_notes"] = ["…", "…"]
        else:
            action, moment = "session.scheduled", created
            changes = {
                "kind": kind,
                "starts_at": starts,
                "trainee": trainee.email,
                "staff": staff.email,
            }
        logs.change(
            ctx, moment, staff, action, "CoachingSession", session_id, label, campus.id, changes
        )
    if rng.random() < 0.04:
        logs.viewed(
            ctx, min(updated, ctx.now), staff, "sessions.show", campus.id,
            subject_type="CoachingSession", subject_id=session_id, label=trainee.label,
            person_id=trainee.user_id,
        )  # fmt: skip
