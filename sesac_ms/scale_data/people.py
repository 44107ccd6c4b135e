"""Staff accounts, and each cohort's applicants through the selection funnel to the roster.

Applications per cohort are ~6 a place. Of a cohort that has started, the places held are
its enrolled applicants (their trainee accounts and enrollments made here); the others
were rejected at document screening or after the interview, withdrew, lapsed or stayed on
the waitlist. A cohort still selecting holds its accepted applicants; one recruiting has
applications in the early stages only. `cohorts.seats_taken` is the plan's `filled`, and
exactly that many applications hold a place.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from ..models.applications import OUTSIDE_SEOUL
from ..seoul import SEOUL_DISTRICTS
from . import logs
from .context import KST, CampusPlan, CohortPlan, Context, Staff, Trainee, at, office_time
from .names import (
    MOTIVATION_GOALS,
    MOTIVATION_OPENINGS,
    MOTIVATION_REASONS,
    REJECTION_REASONS,
    SCORE_COMMENTS,
)
from .plan import StaffCounts

USER_COLUMNS = (
    "id", "email", "name", "role", "campus_id", "password_hash", "active", "locale",
    "session_version", "schedule_version", "created_at", "phone", "notify_channel",
    "notify_opt_out",
)  # fmt: skip
APPLICATION_COLUMNS = (
    "id", "cohort_id", "name", "email", "phone", "birth_date", "district", "seoul_university",
    "employment_status", "education", "motivation", "portfolio_url", "consent_version",
    "consented_at", "source", "stage", "eligible", "eligibility_flags", "waitlist_rank",
    "decision_reason", "decided_at", "decided_by_id", "offer_expires_on", "status_nonce",
    "status_token_hash", "locale", "user_id", "submitted_at", "updated_at",
)  # fmt: skip
SCORE_COLUMNS = (
    "id", "application_id", "stage", "evaluator_id", "evaluator_label", "score", "comment",
    "created_at", "updated_at",
)  # fmt: skip
ENROLLMENT_COLUMNS = (
    "id", "cohort_id", "user_id", "application_id", "status", "enrolled_at", "status_on",
    "drop_reason", "status_note", "deposit_status", "deposit_paid_on", "deposit_settled_on",
)  # fmt: skip
CONSENT_VERSION = "2026-11"
EMPLOYMENT = (("unemployed", 80), ("student", 12), ("employed", 5), ("self_employed", 3))
EDUCATION = (("university", 60), ("college", 20), ("high_school", 10), ("graduate", 7))
DROP_REASONS = (("personal", 45), ("health", 15), ("absence", 20), ("other", 20))


def declare(ctx: Context) -> None:
    ctx.writer.declare("users", USER_COLUMNS)
    ctx.writer.declare("applications", APPLICATION_COLUMNS)
    ctx.writer.declare("application_scores", SCORE_COLUMNS)
    ctx.writer.declare("enrollments", ENROLLMENT_COLUMNS)


# --- staff --------------------------------------------------------------------------------


def write_staff(ctx: Context, campus: CampusPlan, counts: StaffCounts, hired_on: date) -> None:
    """The campus's managers, coordinators and mentors; no password opens their accounts."""
    for role, count, pool in (
        ("manager", counts.managers, campus.managers),
        ("coordinator", counts.coordinators, campus.coordinators),
        ("mentor", counts.mentors, campus.mentors),
    ):
        for _ in range(count):
            name, email = ctx.people.staff(campus.name_en)
            staff = Staff(ctx.writer.next_id("users"), name, email, role)
            created = office_time(ctx.rng, hired_on + timedelta(days=ctx.rng.randint(0, 400)))
            created = ctx.clamp(created)
            ctx.writer.add(
                "users",
                (
                    staff.id,
                    email,
                    name,
                    role,
                    campus.id,
                    None,
                    True,
                    "ko",
                    1,
                    0,
                    created,
                    None,
                    "email",
                    False,
                ),  # fmt: skip
            )
            pool.append(staff)
            logs.change(
                ctx,
                created,
                ctx.admin,
                "user.created",
                "User",
                staff.id,
                email,
                campus.id,
                {
                    "email": [None, email],
                    "name": [None, name],
                    "role": [None, role],
                    "campus_id": [None, campus.id],
                },
            )


# --- applicants ---------------------------------------------------------------------------


def _applicant(ctx: Context, cohort: CohortPlan) -> dict:
    """One applicant's details and the eligibility flags the app would give them."""
    rng = ctx.rng
    name, email = ctx.people.person()
    age = min(45, max(18, round(rng.gauss(27, 4.5))))
    birth = cohort.start_on - timedelta(days=age * 365 + rng.randint(0, 364))
    roll = rng.random()
    if roll < 0.22:
        district = cohort.campus.district
    elif roll < 0.86:
        district = rng.choice(SEOUL_DISTRICTS)
    else:
        district = OUTSIDE_SEOUL
    university = district == OUTSIDE_SEOUL and rng.random() < 0.4
    employment = rng.choices([e for e, _ in EMPLOYMENT], [w for _, w in EMPLOYMENT])[0]
    education = rng.choices([e for e, _ in EDUCATION], [w for _, w in EDUCATION])[0]
    full_years = (
        cohort.start_on.year
        - birth.year
        - ((cohort.start_on.month, cohort.start_on.day) < (birth.month, birth.day))
    )
    flags: list[dict] = []
    if not 15 <= full_years <= 39:
        flags.append({"code": "age", "age": full_years, "min": 15, "max": 39})
    if district == OUTSIDE_SEOUL and not university:
        flags.append({"code": "seoul"})
    if employment in ("employed", "self_employed"):
        flags.append({"code": "employed", "status": employment})
    last = min(cohort.recruit_end_on, ctx.today)  # a cohort recruiting now: up to today
    window = max(0, (last - cohort.recruit_start_on).days)
    submitted_on = cohort.recruit_start_on + timedelta(days=rng.randint(0, window))
    submitted = at(submitted_on, rng.choice((8, 10, 11, 13, 14, 15, 16, 20, 21, 22, 23)))
    submitted = ctx.clamp(submitted + timedelta(minutes=rng.randint(0, 59)))
    motivation = " ".join(
        (
            rng.choice(MOTIVATION_OPENINGS),
            rng.choice(MOTIVATION_REASONS),
            rng.choice(MOTIVATION_GOALS),
        )
    )
    local = email.split("@", 1)[0]
    return {
        "name": name,
        "email": email,
        "phone": ctx.people.phone(),
        "birth": birth,
        "district": district,
        "university": university,
        "employment": employment,
        "education": education,
        "motivation": motivation,
        "portfolio": f"https://github.example/{local}" if rng.random() < 0.3 else None,
        "flags": flags,
        "submitted": submitted,
        "locale": "en" if rng.random() < 0.02 else "ko",
    }


def _stages(ctx: Context, cohort: CohortPlan, eligible: list[bool]) -> list[str]:
    """The stage each applicant is in, holders of a place chosen among the eligible."""
    rng = ctx.rng
    n, filled = cohort.applications, cohort.filled
    order = sorted(range(n), key=lambda i: (not eligible[i], rng.random()))
    holders, others = order[:filled], order[filled:]
    rng.shuffle(others)
    stages = [""] * n
    held = "accepted" if cohort.status == "selecting" else "enrolled"
    for i in holders:
        stages[i] = held
    rest = len(others)
    if cohort.status in ("finished", "in_progress"):
        mix = [
            ("withdrawn", rng.uniform(0.07, 0.12)),
            ("waitlisted", rng.uniform(0.02, 0.05)),
            ("lapsed", 0.01),
            ("rejected", 1.0),
        ]
    elif cohort.status == "selecting":
        mix = [
            ("withdrawn", 0.08),
            ("waitlisted", 0.05),
            ("interview", 0.2),
            ("screening", 0.1),
            ("rejected", 1.0),
        ]
    else:  # recruiting
        mix = [
            ("withdrawn", 0.05),
            ("rejected", 0.08),
            ("screening", 0.25),
            ("submitted", 1.0),
        ]
    position = 0
    for stage, share in mix:
        count = rest - position if share >= 1.0 else round(rest * share)
        for i in others[position : position + count]:
            stages[i] = stage
        position += count
    # The ineligible who were not caught out withdrew or were rejected at screening.
    for i in others:
        if not eligible[i] and stages[i] in ("waitlisted", "interview", "lapsed"):
            stages[i] = "rejected"
    return stages


def _token(ctx: Context) -> tuple[str, str]:
    nonce = f"{ctx.rng.getrandbits(128):032x}"
    return nonce, hashlib.sha256(f"scale:{nonce}".encode()).hexdigest()


def _decision_day(ctx: Context, cohort: CohortPlan, submitted: datetime, early: bool) -> date:
    """After recruiting closes and before the start; while it is still open (or the day has
    not come yet), within days of the application, never after yesterday."""
    first = cohort.recruit_end_on + timedelta(days=1)
    last = max(first, cohort.start_on - timedelta(days=3))
    if early:
        last = min(last, first + timedelta(days=5))
    yesterday = ctx.today - timedelta(days=1)
    if last > yesterday:
        first = submitted.astimezone(KST).date() + timedelta(days=1)
        last = max(first, yesterday)
    return first + timedelta(days=ctx.rng.randint(0, (last - first).days))


def applications(ctx: Context, cohort: CohortPlan) -> list[tuple[int, dict]]:
    """Write the cohort's applications and scores; return (application id, details) of
    those enrolled (or accepted), for the roster."""
    rng, writer = ctx.rng, ctx.writer
    campus = cohort.campus
    details = [_applicant(ctx, cohort) for _ in range(cohort.applications)]
    stages = _stages(ctx, cohort, [not d["flags"] for d in details])
    managers = campus.managers
    interviewers = [*campus.managers, *cohort.coordinators]
    holders: list[tuple[int, dict]] = []
    rank = 0
    for person, stage in zip(details, stages, strict=True):
        app_id = writer.next_id("applications")
        manager = rng.choice(managers)
        decided_at = decided_by = reason = offer_expires = waitlist_rank = None
        interviewed = stage in ("enrolled", "accepted", "waitlisted", "lapsed") or (
            stage == "rejected" and rng.random() < 0.38
        )
        screened = stage not in ("submitted",) and not (stage == "withdrawn" and rng.random() < 0.5)
        before = "interview" if interviewed else "screening" if screened else "submitted"
        if stage in ("enrolled", "accepted", "rejected", "waitlisted", "lapsed"):
            decided_at = ctx.day_time(
                _decision_day(ctx, cohort, person["submitted"], stage == "rejected")
            )
            decided_by = manager.id
        if stage == "rejected":
            reason = rng.choice(REJECTION_REASONS["interview" if interviewed else "screening"])
        elif stage == "waitlisted":
            rank += 1
            waitlist_rank = rank
        elif stage == "lapsed":
            offer_expires = cohort.start_on - timedelta(days=rng.randint(1, 4))
        submitted = person["submitted"]
        updated = decided_at or submitted
        if stage == "withdrawn":
            updated = ctx.clamp(submitted + timedelta(days=rng.randint(1, 20)))
        nonce, token_hash = _token(ctx)
        user_id = enrolled_at = None
        if stage == "enrolled":  # the account first: the application points to it
            user_id = writer.next_id("users")
            enrolled_at = ctx.clamp(
                office_time(rng, cohort.start_on - timedelta(days=rng.randint(1, 5)))
            )
            writer.add(
                "users",
                (
                    user_id, person["email"], person["name"], "trainee", campus.id, None, True,
                    person["locale"], 1, 0, enrolled_at, person["phone"], "kakao", False,
                ),
            )  # fmt: skip
        writer.add(
            "applications",
            (
                app_id, cohort.id, person["name"], person["email"], person["phone"],
                person["birth"], person["district"], person["university"],
                person["employment"], person["education"], person["motivation"],
                person["portfolio"], CONSENT_VERSION, submitted, "web", stage,
                not person["flags"], person["flags"], waitlist_rank, reason, decided_at,
                decided_by, offer_expires, nonce, token_hash, person["locale"],
                user_id, submitted, updated,
            ),
        )  # fmt: skip
        scored_by = decided_at or ctx.now
        _scores(
            ctx,
            cohort,
            app_id,
            stage,
            screened,
            interviewed,
            manager,
            interviewers,
            submitted,
            scored_by,
        )
        if stage in ("enrolled", "accepted"):
            holders.append(
                (
                    app_id,
                    {**person, "user_id": user_id, "enrolled_at": enrolled_at, "manager": manager},
                )
            )
        _log_decision(ctx, cohort, app_id, person, stage, before, decided_at, manager, reason, rank)
    return holders


def _scores(
    ctx: Context,
    cohort: CohortPlan,
    app_id: int,
    stage: str,
    screened: bool,
    interviewed: bool,
    manager: Staff,
    interviewers: list[Staff],
    submitted: datetime,
    decided: datetime,
) -> None:
    rng = ctx.rng
    strong = stage in ("enrolled", "accepted", "waitlisted", "lapsed")
    rated = []
    if screened:
        rated.append(("screening", [manager], 80 if strong else 72 if interviewed else 58))
    if screened and cohort.uses_assessment and (interviewed or strong):
        rated.append(("assessment", [manager], 78 if strong else 66))
    if interviewed:
        panel = list(
            {s.id: s for s in rng.sample(interviewers, min(2, len(interviewers)))}.values()
        )
        rated.append(("interview", panel, 83 if strong else 61))
    for number, (scored_stage, evaluators, mean) in enumerate(rated):
        when = submitted + timedelta(days=3 + 5 * number, hours=rng.randint(0, 48))
        when = max(submitted, min(when, decided - timedelta(hours=1 + 2 * (len(rated) - number))))
        when = ctx.clamp(when)
        for evaluator in evaluators:
            score = min(100, max(0, round(rng.gauss(mean, 8))))
            ctx.writer.add(
                "application_scores",
                (
                    ctx.writer.next_id("application_scores"),
                    app_id,
                    scored_stage,
                    evaluator.id,
                    evaluator.name,
                    score,
                    rng.choice(SCORE_COMMENTS),
                    when,
                    when,
                ),
            )


def _log_decision(
    ctx: Context,
    cohort: CohortPlan,
    app_id: int,
    person: dict,
    stage: str,
    before: str,
    decided_at: datetime | None,
    manager: Staff,
    reason: str | None,
    rank: int,
) -> None:
    """A sample of the decisions in the audit log, shaped as applications.services writes."""
    rng = ctx.rng
    if rng.random() >= logs.DECISION_SHARE:
        return
    label = f"{person['name']} <{person['email']}>"
    campus_id = cohort.campus.id
    shown = "accepted" if stage == "enrolled" else stage
    if stage == "withdrawn":
        moment = ctx.clamp(person["submitted"] + timedelta(days=rng.randint(1, 20)))
        changes = {"stage": [before, "withdrawn"]}
        logs.change(
            ctx,
            moment,
            None,
            "application.withdrawn",
            "Application",
            app_id,
            label,
            campus_id,
            changes,
        )
        return
    if decided_at is None or shown not in ("accepted", "rejected", "waitlisted"):
        return
    changes: dict = {"stage": [before, shown]}
    if shown == "rejected":
        changes["reason"] = [None, reason]
    elif shown == "waitlisted":
        changes["waitlist_rank"] = [None, rank]
    action = f"application.{shown}"
    logs.change(ctx, decided_at, manager, action, "Application", app_id, label, campus_id, changes)


# --- the roster ---------------------------------------------------------------------------


def _finished_status(ctx: Context, cohort: CohortPlan) -> tuple[str, date | None, int]:
    """(status, date, attendance profile) of a trainee of an ended cohort."""
    rng = ctx.rng
    days = (cohort.end_on - cohort.start_on).days
    roll = rng.random()
    if roll < 0.75:
        return "completed", cohort.end_on, rng.choices((0, 1, 2), (80, 18, 2))[0]
    if roll < 0.85:
        left = cohort.end_on - timedelta(days=rng.randint(7, min(60, days // 2)))
        return "early_employed", left, rng.choices((0, 1), (70, 30))[0]
    if roll < 0.97:
        dropped = cohort.start_on + timedelta(days=round(days * rng.uniform(0.08, 0.85)))
        return "dropped", dropped, rng.choices((1, 2), (40, 60))[0]
    expelled = cohort.start_on + timedelta(days=round(days * rng.uniform(0.4, 0.8)))
    return "expelled", expelled, 3


def _running_status(ctx: Context, cohort: CohortPlan) -> tuple[str, date | None, int]:
    rng, today = ctx.rng, ctx.today
    elapsed = (today - cohort.start_on).days
    if elapsed > 14 and rng.random() < 0.04:
        dropped = cohort.start_on + timedelta(days=rng.randint(7, elapsed - 1))
        return "dropped", dropped, 2
    return "enrolled", None, rng.choices((0, 1, 2), (78, 18, 4))[0]


def roster(ctx: Context, cohort: CohortPlan, holders: list[tuple[int, dict]]) -> list[Trainee]:
    """Enrollments of the enrolled applicants of a started cohort (accounts made with them)."""
    writer = ctx.writer
    trainees = []
    for app_id, person in holders:
        if cohort.status == "finished":
            status, status_on, profile = _finished_status(ctx, cohort)
        else:
            status, status_on, profile = _running_status(ctx, cohort)
        trainee = Trainee(
            person["user_id"],
            writer.next_id("enrollments"),
            app_id,
            person["name"],
            person["email"],
            status,
            status_on,
            person["enrolled_at"],
            profile,
        )
        _enrollment(ctx, cohort, trainee, person["manager"])
        trainees.append(trainee)
    return trainees


def _enrollment(ctx: Context, cohort: CohortPlan, trainee: Trainee, manager: Staff) -> None:
    rng = ctx.rng
    status, status_on = trainee.status, trainee.status_on
    reason = note = None
    if status == "dropped":
        reason = rng.choices([r for r, _ in DROP_REASONS], [w for _, w in DROP_REASONS])[0]
        note = rng.choice(("개인 사정", "건강 문제로 학업 중단", "타 기관 취업", ""))
    elif status == "expelled":
        note = rng.choice(("결석 누적으로 제적", "출석률 기준 미달로 제적"))
    elif status == "early_employed":
        note = "조기취업"
    deposit, paid_on, settled_on = "not_required", None, None
    if cohort.deposit_amount:
        paid_on = cohort.start_on - timedelta(days=rng.randint(0, 5))
        if status in ("completed", "early_employed"):
            deposit = "refunded"
            settled_on = min(ctx.today, status_on + timedelta(days=rng.randint(3, 14)))
        elif status in ("dropped", "expelled"):
            deposit = "forfeited"
            settled_on = min(ctx.today, status_on + timedelta(days=rng.randint(1, 7)))
        elif rng.random() < 0.9:
            deposit = "paid"
        else:
            deposit, paid_on = "due", None
    ctx.writer.add(
        "enrollments",
        (
            trainee.enrollment_id, cohort.id, trainee.user_id, trainee.application_id, status,
            trainee.enrolled_at, status_on, reason, note or "", deposit, paid_on, settled_on,
        ),
    )  # fmt: skip
    campus_id = cohort.campus.id
    logs.change(
        ctx, trainee.enrolled_at, manager, "roster.enrolled", "Enrollment",
        trainee.enrollment_id, trainee.label, campus_id, {"user": [None, trainee.email]},
    )  # fmt: skip
    if status != "enrolled":
        changes: dict = {"status": ["enrolled", status], "status_on": [None, status_on]}
        if reason:
            changes["drop_reason"] = [None, reason]
        if note:
            changes["status_note"] = [None, note]
        logs.change(
            ctx, ctx.day_time(status_on), manager, "roster.status_changed", "Enrollment",
            trainee.enrollment_id, trainee.label, campus_id, changes,
        )  # fmt: skip
