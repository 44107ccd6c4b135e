"""What came after training: outcomes, retention checks, referrals, certification attempts.

Outcomes: about 80% of those who completed have one once it has been recorded, dated
mostly 0–180 days after the cohort's end (early employment: when they left); the ones
dated after today's recording date do not exist yet, so a cohort that just ended is
still being counted, and a few jobs starting next month are already recorded. 84%
employed, 4% founded, 12% excluded with a reason (illness only with its own consent).
A quarter of them replaced an earlier outcome, kept as history: one current each.
The reason and the consent record are written encrypted, as the model stores them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..models import Outcome
from . import logs
from .context import CampusPlan, CohortPlan, Context, Staff, Trainee, at, office_time
from .names import company_name, company_names
from .plan import AREAS, EXAMS

COMPANY_COLUMNS = (
    "id", "campus_id", "name", "industry", "contact_name", "contact_email", "contact_phone",
    "openings", "created_at",
)  # fmt: skip
OUTCOME_COLUMNS = (
    "id", "enrollment_id", "kind", "outcome_on", "company", "job_title", "industry",
    "employment_type", "insured", "salary_band", "exclusion_reason", "health_consent_at",
    "evidence", "verification", "verification_state", "source", "is_current",
    "recorded_by_id", "created_at",
)  # fmt: skip
RETENTION_COLUMNS = ("id", "outcome_id", "months", "checked_on", "result", "note", "recorded_by_id")
REFERRAL_COLUMNS = (
    "id", "enrollment_id", "company_id", "position", "status", "sharing_consent_at",
    "matching_day_id", "note", "created_by_id", "created_at", "updated_at",
)  # fmt: skip
ATTEMPT_COLUMNS = ("id", "user_id", "exam_id", "exam_on", "passed", "score", "created_at")

EMPLOYMENT_TYPES = (("permanent", 60), ("contract", 25), ("intern", 8), ("freelance", 7))
SALARY_BANDS = (("under_2400", 10), ("2400_3000", 30), ("3000_3600", 35), ("3600_4800", 20),
                ("4800_plus", 5))  # fmt: skip
EXCLUSIONS = (("further_study", 35), ("military", 30), ("emigration", 10), ("illness", 10),
              ("other", 15))  # fmt: skip
COMPARED = ("kind", "outcome_on", "company", "job_title", "industry", "employment_type",
            "insured", "exclusion_reason")  # fmt: skip
# Health data, encrypted here in the generating thread (the writer's has no app context).
REASON_TYPE = Outcome.__table__.c.exclusion_reason.type
CONSENT_TYPE = Outcome.__table__.c.health_consent_at.type


def declare(ctx: Context) -> None:
    for table, columns in (
        ("companies", COMPANY_COLUMNS),
        ("outcomes", OUTCOME_COLUMNS),
        ("retention_checks", RETENTION_COLUMNS),
        ("referrals", REFERRAL_COLUMNS),
        ("certification_attempts", ATTEMPT_COLUMNS),
        ("exams", ("id", "name")),
    ):
        ctx.writer.declare(table, columns)


def _pick(ctx: Context, pairs: tuple[tuple[str, int], ...]) -> str:
    return ctx.rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def write_exams(ctx: Context) -> None:
    for name in EXAMS:
        if name not in ctx.exams:
            ctx.exams[name] = ctx.writer.next_id("exams")
            ctx.writer.add("exams", (ctx.exams[name], name))


def write_companies(
    ctx: Context, campus: CampusPlan, taken: set[str], areas: list[str], since: date
) -> None:
    """The campus's partner companies, with a contact person and what they hire for."""
    rng = ctx.rng
    count = min(250, 8 + 2 * campus.cohorts)
    titles = [t for area in areas for t in AREAS[area][0]] or ["신입 개발자"]
    span = max(1, (ctx.today - since).days)
    for name, industry in company_names(rng, count, taken):
        company_id = ctx.writer.next_id("companies")
        contact, _ = ctx.people.person()
        role = rng.choice(("recruit", "hr", "jobs", "people", "talent"))
        openings = ", ".join(sorted(set(rng.sample(titles, min(2, len(titles))))))
        created = ctx.clamp(office_time(rng, since + timedelta(days=rng.randint(0, span))))
        ctx.writer.add(
            "companies",
            (
                company_id, campus.id, name, industry, contact, f"{role}@c{company_id}.co.example",
                f"02-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}", openings, created,
            ),
        )  # fmt: skip
        campus.companies.append((company_id, name, industry, openings))
        manager = rng.choice(campus.coordinators or campus.managers)
        changes = {"name": [None, name]}
        logs.change(
            ctx,
            created,
            manager,
            "company.created",
            "Company",
            company_id,
            name,
            campus.id,
            changes,
        )


def _offset(ctx: Context) -> int:
    """Days from the cohort's end to the outcome: most within six months."""
    rng = ctx.rng
    roll = rng.random()
    if roll < 0.45:
        return rng.randint(0, 30)
    if roll < 0.75:
        return rng.randint(31, 90)
    if roll < 0.95:
        return rng.randint(91, 180)
    return rng.randint(181, 365)


def _recorded(ctx: Context, outcome_on: date) -> datetime | None:
    """When the outcome was recorded, or None when that is still to come."""
    rng = ctx.rng
    if outcome_on > ctx.today:  # a job starting soon, known already: some are recorded
        if outcome_on > ctx.today + timedelta(days=30) or rng.random() < 0.5:
            return None
        return ctx.now - timedelta(days=rng.randint(0, 10), hours=rng.randint(1, 8))
    recorded_on = outcome_on + timedelta(days=rng.randint(0, 21))
    if recorded_on >= ctx.today:
        return None
    return office_time(rng, recorded_on)


def _values(
    ctx: Context, campus: CampusPlan, area: str, kind: str, trainee: Trainee
) -> dict[str, object]:
    rng = ctx.rng
    values: dict[str, object] = dict.fromkeys(COMPARED)
    values["kind"] = kind
    if kind == "employed":
        if campus.companies and rng.random() < 0.55:
            _, company, industry, _ = rng.choice(campus.companies)
        else:
            company, industry = company_name(rng)
        kind_of_job = _pick(ctx, EMPLOYMENT_TYPES)
        values.update(
            company=company,
            industry=industry,
            job_title=rng.choice(AREAS[area][0]),
            employment_type=kind_of_job,
            insured=kind_of_job != "freelance" and rng.random() < 0.97,
        )
    elif kind == "founded":
        values.update(company=f"{trainee.name} 스튜디오", industry="IT", job_title="대표")
    else:
        values["exclusion_reason"] = _pick(ctx, EXCLUSIONS)
    return values


def outcomes(
    ctx: Context, cohort: CohortPlan, trainees: list[Trainee], matching_day: int | None
) -> None:
    """Outcomes and retention checks of those who completed; referrals; certifications."""
    rng = ctx.rng
    campus, area = cohort.campus, cohort.course.area
    coordinators = cohort.coordinators or campus.coordinators
    for trainee in trainees:
        recorder = rng.choice(coordinators)
        current = None
        if trainee.status == "early_employed":
            assert trainee.status_on is not None
            on = trainee.status_on
            recorded = _recorded(ctx, on)
            if recorded is not None:
                current = _outcome(ctx, cohort, trainee, recorder, "employed", on, recorded)
        elif trainee.status == "completed" and rng.random() < 0.85:
            current = _with_history(ctx, cohort, trainee, recorder)
        if current is not None and rng.random() < 0.4:
            moment = current[2] + timedelta(days=rng.randint(0, 60))
            logs.viewed(
                ctx, moment, recorder, "placements.trainee", campus.id,
                subject_type="Enrollment", subject_id=trainee.enrollment_id,
                label=trainee.label, person_id=trainee.user_id,
            )  # fmt: skip
        if trainee.completed or trainee.status == "enrolled":
            _referrals(ctx, cohort, trainee, recorder, current, matching_day)
            _certifications(ctx, cohort, trainee, area)


def _with_history(
    ctx: Context, cohort: CohortPlan, trainee: Trainee, recorder: Staff
) -> tuple[int, dict, datetime] | None:
    """The trainee's current outcome, a third of the later ones after an earlier one."""
    rng = ctx.rng
    kind = rng.choices(("employed", "founded", "excluded"), (84, 4, 12))[0]
    offset = _offset(ctx)
    outcome_on = cohort.end_on + timedelta(days=offset)
    recorded = _recorded(ctx, outcome_on)
    previous = None
    if offset > 45 and rng.random() < 0.45:
        first_kind = "excluded" if kind == "employed" and rng.random() < 0.3 else "employed"
        first_on = cohort.end_on + timedelta(days=rng.randint(0, offset - 30))
        first_recorded = _recorded(ctx, first_on)
        if first_recorded is not None:
            if recorded is not None and recorded <= first_recorded:
                recorded = first_recorded + timedelta(days=1)
                recorded = recorded if recorded < ctx.now else None
            # Written as history from the start when a later one follows: one current each.
            previous = _outcome(
                ctx, cohort, trainee, recorder, first_kind, first_on, first_recorded,
                current=recorded is None,
            )  # fmt: skip
    if recorded is None:
        return previous
    return _outcome(ctx, cohort, trainee, recorder, kind, outcome_on, recorded, previous=previous)


def _outcome(
    ctx: Context,
    cohort: CohortPlan,
    trainee: Trainee,
    recorder: Staff,
    kind: str,
    outcome_on: date,
    recorded: datetime,
    *,
    current: bool = True,
    previous: tuple[int, dict, datetime] | None = None,
) -> tuple[int, dict, datetime]:
    """Write one outcome; returns (id, values, when recorded)."""
    rng = ctx.rng
    campus = cohort.campus
    values = _values(ctx, campus, cohort.course.area, kind, trainee)
    values["outcome_on"] = outcome_on
    consent = None
    if values["exclusion_reason"] == "illness":
        consent = recorded - timedelta(days=rng.randint(0, 3))
    verification, state, salary = None, "unverified", None
    age = (ctx.now - recorded).days
    if kind == "employed":
        verification = "insurance_record" if values["insured"] else "employment_certificate"
        salary = _pick(ctx, SALARY_BANDS)
        roll = rng.random()
        state = (
            "verified"
            if roll < (0.7 if age > 60 else 0.35)
            else "rejected"
            if roll > 0.96
            else "unverified"
        )
    elif kind == "founded":
        verification = "business_registration"
        state = "verified" if rng.random() < 0.6 else "unverified"
    outcome_id = ctx.writer.next_id("outcomes")
    ctx.writer.add(
        "outcomes",
        (
            outcome_id, trainee.enrollment_id, kind, outcome_on, values["company"],
            values["job_title"], values["industry"], values["employment_type"],
            values["insured"], salary, REASON_TYPE.seal(values["exclusion_reason"]),
            CONSENT_TYPE.seal(consent), "", verification, state,
            "import" if rng.random() < 0.12 else "web", current, recorder.id, recorded,
        ),
    )  # fmt: skip
    before = previous[1] if previous else dict.fromkeys(COMPARED)
    changes = {k: [_masked(k, before[k]), _masked(k, values[k])] for k in COMPARED}
    logs.change(
        ctx,
        recorded,
        recorder,
        "outcome.recorded",
        "Outcome",
        outcome_id,
        trainee.label,
        campus.id,
        changes,
    )
    if state != "unverified" and rng.random() < 0.2:
        moment = recorded + timedelta(days=rng.randint(3, 40))
        shown = {"verification_state": ["unverified", state], "verification": [None, verification]}
        logs.change(
            ctx,
            moment,
            recorder,
            "outcome.verified",
            "Outcome",
            outcome_id,
            trainee.email,
            campus.id,
            shown,
        )
    if current and kind in ("employed", "founded"):
        _retention(ctx, cohort, trainee, recorder, outcome_id, outcome_on)
    return outcome_id, values, recorded


def _masked(key: str, value: object) -> object:
    """As placements.services masks it: every reason, not only illness."""
    return "(sensitive)" if key == "exclusion_reason" and value is not None else value


def _retention(
    ctx: Context,
    cohort: CohortPlan,
    trainee: Trainee,
    recorder: Staff,
    outcome_id: int,
    started: date,
) -> None:
    rng = ctx.rng
    still = True
    for months, due_days, share in ((6, 183, 0.7), (12, 365, 0.65)):
        checked_on = started + timedelta(days=due_days + rng.randint(0, 20))
        if not still or checked_on >= ctx.today or rng.random() >= share:
            return
        result = rng.choices(("still_employed", "moved", "left"), (90, 5, 5))[0]
        still = result != "left"
        ctx.writer.add(
            "retention_checks",
            (
                ctx.writer.next_id("retention_checks"), outcome_id, months, checked_on,
                result, "", recorder.id,
            ),
        )  # fmt: skip
        changes = {"months": months, "result": result}
        logs.change(
            ctx,
            office_time(rng, checked_on),
            recorder,
            "outcome.retention",
            "Outcome",
            outcome_id,
            trainee.email,
            cohort.campus.id,
            changes,
        )


def _referrals(
    ctx: Context,
    cohort: CohortPlan,
    trainee: Trainee,
    recorder: Staff,
    outcome: tuple[int, dict, datetime] | None,
    matching_day: int | None,
) -> None:
    rng = ctx.rng
    campus = cohort.campus
    if not campus.companies:
        return
    hired_at = None
    if outcome is not None and outcome[1]["kind"] == "employed":
        hired_at = next((c for c in campus.companies if c[1] == outcome[1]["company"]), None)
    count = rng.choice((1, 1, 2, 3)) if rng.random() < 0.35 else 0
    targets = [
        (c, "not_hired") for c in rng.sample(campus.companies, min(count, len(campus.companies)))
    ]
    if hired_at is not None and rng.random() < 0.7:
        targets = [(c, s) for c, s in targets if c[0] != hired_at[0]] + [(hired_at, "hired")]
    late = cohort.start_on + (cohort.end_on - cohort.start_on) * 0.6
    latest = min(ctx.today, cohort.end_on + timedelta(days=60))
    if latest <= late:
        return
    for (company_id, name, _, openings), status in targets:
        created = ctx.clamp(office_time(rng, late + (latest - late) * rng.random()))
        if status == "not_hired":
            fresh = (ctx.now - created).days < 45
            status = rng.choices(
                ("not_hired", "interview", "sent", "proposed"),
                (20, 30, 30, 20) if fresh else (75, 10, 10, 5),
            )[0]
        consent = created - timedelta(days=rng.randint(1, 7))
        updated = ctx.clamp(created + timedelta(days=rng.randint(0, 30)))
        position = openings.split(", ")[0] if openings else ""
        day = matching_day if matching_day and rng.random() < 0.35 else None
        referral_id = ctx.writer.next_id("referrals")
        ctx.writer.add(
            "referrals",
            (
                referral_id, trainee.enrollment_id, company_id, position, status, consent, day,
                "", recorder.id, created, updated,
            ),
        )  # fmt: skip
        changes = {"company": [None, name], "position": [None, position]}
        logs.change(
            ctx,
            created,
            recorder,
            "referral.created",
            "Referral",
            referral_id,
            trainee.email,
            campus.id,
            changes,
        )
        logs.viewed(
            ctx, created, recorder, "placements.referral", campus.id, action="change",
            subject_type="Enrollment", subject_id=trainee.enrollment_id, label=trainee.email,
            person_id=trainee.user_id, detail=name,
        )  # fmt: skip


def _certifications(ctx: Context, cohort: CohortPlan, trainee: Trainee, area: str) -> None:
    rng = ctx.rng
    if rng.random() >= 0.35:
        return
    exam = rng.choice(AREAS[area][1])
    top, pass_mark = EXAMS[exam]
    first = cohort.start_on + (cohort.end_on - cohort.start_on) / 2
    last = min(ctx.today - timedelta(days=1), cohort.end_on + timedelta(days=60))
    if last <= first:
        return
    exam_on = first + (last - first) * rng.random()
    for attempt in range(2):
        passed = rng.random() < (0.72 if attempt == 0 else 0.75)
        if passed:
            score = rng.randint(pass_mark, top)
        else:
            score = rng.randint(max(0, pass_mark - (top // 4)), pass_mark - 1)
        created = ctx.clamp(at(exam_on + timedelta(days=rng.randint(1, 10)), 10))
        attempt_id = ctx.writer.next_id("certification_attempts")
        ctx.writer.add(
            "certification_attempts",
            (attempt_id, trainee.user_id, ctx.exams[exam], exam_on, passed, score, created),
        )
        changes = {"exam": [None, exam], "passed": [None, passed], "score": [None, score]}
        logs.change(
            ctx,
            created,
            rng.choice(cohort.coordinators or cohort.campus.coordinators),
            "certification.recorded",
            "CertificationAttempt",
            attempt_id,
            trainee.email,
            cohort.campus.id,
            changes,
        )
        exam_on = exam_on + timedelta(days=rng.randint(21, 45))
        if passed or exam_on >= ctx.today or rng.random() >= 0.4:
            return
