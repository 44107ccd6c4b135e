"""Placement use-cases: outcomes (one current, history kept), retention checks,
company referrals and certification attempts.

Only completed trainees (수료 or 조기취업) have outcomes. An illness exclusion is health
data: it needs the trainee's separate consent and its reason is shown only to the
coordinators of the campus and to admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import defer, lazyload

from .. import audit
from ..errors import Conflict, InvalidInput, NotAllowed, Problems
from ..extensions import db
from ..models import (
    CertificationAttempt,
    Cohort,
    Company,
    EmploymentType,
    Enrollment,
    EnrollmentStatus,
    Exam,
    ExclusionReason,
    Outcome,
    OutcomeKind,
    Referral,
    ReferralStatus,
    RetentionCheck,
    RetentionResult,
    Role,
    User,
    Verification,
    VerificationState,
)
from ..models.audit import AccessAction
from ..models.types import utcnow

COMPLETED = (EnrollmentStatus.COMPLETED, EnrollmentStatus.EARLY_EMPLOYED)


@dataclass
class OutcomeData:
    kind: OutcomeKind | str
    outcome_on: date | None
    company: str = ""
    job_title: str = ""
    industry: str = ""
    employment_type: EmploymentType | str | None = None
    insured: bool | None = None
    salary_band: str = ""
    exclusion_reason: ExclusionReason | str | None = None
    health_consent: bool = False
    # When that consent was given; None: now, as it is ticked in the outcome form. An
    # import gives the date of the trainee's written consent.
    health_consent_at: datetime | None = None
    evidence: str = ""
    verification: Verification | str | None = None
    verification_state: VerificationState | str = VerificationState.UNVERIFIED


# Annual salary bands in 만원 (a fixed list, so figures can be grouped); None: not given.
SALARY_BANDS = ("under_2400", "2400_3000", "3000_3600", "3600_4800", "4800_plus")


def _enum(enum, value, field: str, message: str):
    if value in (None, ""):
        return None
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(message, field) from None


def check_outcome(enrollment: Enrollment, data: OutcomeData) -> dict:
    """The outcome's column values, or every problem at once (DomainErrors naming fields).

    Only the fields of the chosen kind may be filled in: a job has an employment type,
    insurance and a salary band; a job or a business has a company, title and industry;
    an exclusion has a reason (and, for illness, the trainee's separate consent). A field
    of another kind is refused, not dropped, so nothing typed is lost without a word.
    """
    problems = Problems()
    if enrollment.status not in COMPLETED:
        problems.add_error(
            Conflict(
                gettext(
                    "Only completed trainees have an outcome; %(name)s is not completed.",
                    name=enrollment.user.name,
                )
            )
        )
    kind = None
    with problems.check():
        kind = _enum(OutcomeKind, data.kind, "kind", gettext("Choose the outcome."))
        if kind is None:
            raise InvalidInput(gettext("Choose the outcome."), "kind")
    if data.outcome_on is None:
        problems.add(gettext("Enter the date (job or business start, or exclusion)."), "outcome_on")
    elif data.outcome_on > date.today().replace(year=date.today().year + 1):
        problems.add(gettext("The date is too far in the future."), "outcome_on")
    company = (data.company or "").strip()
    job_title = (data.job_title or "").strip()
    industry = (data.industry or "").strip()
    salary_band = (data.salary_band or "").strip()
    reason = employment_type = verification = None
    state = VerificationState.UNVERIFIED
    with problems.check():
        reason = _enum(
            ExclusionReason,
            data.exclusion_reason,
            "exclusion_reason",
            gettext("Choose the reason for the exclusion."),
        )
    with problems.check():
        employment_type = _enum(
            EmploymentType,
            data.employment_type,
            "employment_type",
            gettext("Choose the employment type."),
        )
    with problems.check():
        verification = _enum(
            Verification, data.verification, "verification", gettext("Choose how it was verified.")
        )
    with problems.check():
        state = (
            _enum(
                VerificationState,
                data.verification_state,
                "verification_state",
                gettext("Choose the state."),
            )
            or VerificationState.UNVERIFIED
        )
    if (
        state == VerificationState.VERIFIED
        and verification is None
        and not problems.on("verification")
    ):
        problems.add(gettext("Choose how it was verified."), "verification")
    if salary_band and salary_band not in SALARY_BANDS:
        problems.add(gettext("Choose a salary band from the list."), "salary_band")
    if kind is not None:
        _check_kind_fields(problems, kind, data, company, job_title, industry, salary_band)
    if kind == OutcomeKind.EXCLUDED and reason is None and not problems.on("exclusion_reason"):
        problems.add(gettext("Choose the reason for the exclusion."), "exclusion_reason")
    if (
        kind == OutcomeKind.EXCLUDED
        and reason == ExclusionReason.ILLNESS
        and not data.health_consent
    ):
        problems.add(
            gettext(
                "An illness exclusion is health data: record it only with "
                "the trainee's separate consent."
            ),
            "health_consent",
        )
    if data.health_consent and not (
        kind == OutcomeKind.EXCLUDED and reason == ExclusionReason.ILLNESS
    ):
        problems.add(
            gettext(
                "Consent to health data is recorded for an illness exclusion only: "
                "untick it, or choose the exclusion for illness."
            ),
            "health_consent",
        )
    problems.raise_any()
    assert kind is not None  # raise_any refused a missing kind
    insured = data.insured
    if kind == OutcomeKind.EMPLOYED and insured is None:
        insured = employment_type != EmploymentType.FREELANCE
    return {
        "kind": kind,
        "outcome_on": data.outcome_on,
        "company": company or None,
        "job_title": job_title or None,
        "industry": industry or None,
        "employment_type": employment_type,
        "insured": insured,
        "salary_band": salary_band or None,
        "exclusion_reason": reason,
        "health_consent_at": (data.health_consent_at or utcnow())
        if reason == ExclusionReason.ILLNESS
        else None,
        "evidence": (data.evidence or "").strip(),
        "verification": verification,
        "verification_state": state,
    }


def _check_kind_fields(
    problems: Problems,
    kind: OutcomeKind,
    data: OutcomeData,
    company: str,
    job_title: str,
    industry: str,
    salary_band: str,
) -> None:
    """Refuse each field filled in that the chosen kind of outcome does not have."""
    job_or_business = kind in (OutcomeKind.EMPLOYED, OutcomeKind.FOUNDED)
    if job_or_business and not company:
        problems.add(gettext("Enter the company or business name."), "company")
    not_business = gettext("This applies to a job or a business only: clear it.")
    not_job = gettext("This applies to a job only: clear it.")
    filled = (
        ("company", bool(company), job_or_business, not_business),
        ("job_title", bool(job_title), job_or_business, not_business),
        ("industry", bool(industry), job_or_business, not_business),
        (
            "employment_type",
            data.employment_type not in (None, ""),
            kind == OutcomeKind.EMPLOYED,
            not_job,
        ),
        ("insured", data.insured is not None, kind == OutcomeKind.EMPLOYED, not_job),
        ("salary_band", bool(salary_band), kind == OutcomeKind.EMPLOYED, not_job),
        (
            "exclusion_reason",
            data.exclusion_reason not in (None, ""),
            kind == OutcomeKind.EXCLUDED,
            gettext("A reason applies to an exclusion only: clear it, or choose the exclusion."),
        ),
    )
    for field, is_filled, applies, message in filled:
        if is_filled and not applies and not problems.on(field):
            problems.add(message, field)


def current_outcome(enrollment: Enrollment) -> Outcome | None:
    return db.session.scalar(
        db.select(Outcome).where(Outcome.enrollment_id == enrollment.id, Outcome.is_current)
    )


COMPARED = (
    "kind",
    "outcome_on",
    "company",
    "job_title",
    "industry",
    "employment_type",
    "insured",
    "exclusion_reason",
)


def _masked(values: dict) -> dict:
    """Health data stays out of the audit log, as the old value and as the new one. Every
    reason is masked, not only illness, as it is stored encrypted (models/outcomes.py): a
    mark on illness alone would say in the clear what the encryption hides."""
    if values["exclusion_reason"] is not None:
        return {**values, "exclusion_reason": "(sensitive)"}
    return values


def record_outcome(
    actor: User | None, enrollment: Enrollment, data: OutcomeData, *, source: str = "web"
) -> Outcome | None:
    """Make this the trainee's current outcome; the previous one is kept as history.

    Returns None when the data equals the current outcome (an import run twice).
    """
    values = check_outcome(enrollment, data)
    current = current_outcome(enrollment)
    if current is not None and all(getattr(current, k) == values[k] for k in COMPARED):
        return None
    if current is not None:
        current.is_current = False
        db.session.flush()  # the partial unique index admits one current outcome
    outcome = Outcome(
        enrollment_id=enrollment.id,
        source=source,
        recorded_by_id=actor.id if actor else None,
        **values,
    )
    db.session.add(outcome)
    db.session.flush()
    shown = _masked({k: values[k] for k in COMPARED})
    before = _masked({k: getattr(current, k, None) if current else None for k in COMPARED})
    audit.record(
        actor,
        "outcome.recorded",
        outcome,
        {k: [before[k], v] for k, v in shown.items()},
        label=f"{enrollment.user.name} <{enrollment.user.email}>",
        campus_id=enrollment.cohort.campus_id,
    )
    return outcome


def outcome_history(enrollment: Enrollment) -> list[Outcome]:
    """The enrollment's outcomes, latest first, as the trainee page shows them: without
    their enrollment (the page's own) and without the sealed consent and evidence it does
    not show (each would be decrypted for nothing)."""
    return list(
        db.session.scalars(
            db.select(Outcome)
            .where(Outcome.enrollment_id == enrollment.id)
            .order_by(Outcome.id.desc())
            .options(
                defer(Outcome.health_consent_at),
                defer(Outcome.evidence),
                lazyload(Outcome.enrollment),
            )
        )
    )


def may_see_health(user: User) -> bool:
    """Health data (an illness exclusion) is for coordinators and admins only."""
    return user.role in (Role.ADMIN, Role.COORDINATOR)


def set_verification(actor: User, outcome: Outcome, method: str | None, state: str) -> None:
    values = {
        "verification": _enum(
            Verification, method, "verification", gettext("Choose how it was verified.")
        ),
        "verification_state": _enum(
            VerificationState, state, "verification_state", gettext("Choose the state.")
        ),
    }
    if values["verification_state"] is None:
        raise InvalidInput(gettext("Choose the state."), "verification_state")
    if (
        values["verification_state"] == VerificationState.VERIFIED
        and values["verification"] is None
    ):
        raise InvalidInput(gettext("Choose how it was verified."), "verification")
    if values["verification_state"] == VerificationState.UNVERIFIED:
        values["verification"] = None  # not verified: no method to keep
    changes = audit.apply_changes(outcome, values)
    if changes:
        audit.record(
            actor,
            "outcome.verified",
            outcome,
            changes,
            label=outcome.enrollment.user.email,
            campus_id=outcome.enrollment.cohort.campus_id,
        )


# --- retention --------------------------------------------------------------------------


def check_retention(
    outcome: Outcome, months: int | None, checked_on: date | None, result: str | None
) -> RetentionResult:
    """The check's result, or every problem of a retention check at once, changing nothing."""
    problems = Problems()
    if outcome.kind != OutcomeKind.EMPLOYED:
        problems.add_error(Conflict(gettext("Retention is checked for jobs only.")))
    if months not in (6, 12):
        problems.add(gettext("Retention is checked at 6 or 12 months."), "months")
    if checked_on is None or checked_on < outcome.outcome_on:
        problems.add(gettext("The check date must be after the job started."), "checked_on")
    verdict = None
    with problems.check():
        verdict = _enum(RetentionResult, result, "result", gettext("Choose the result."))
    if verdict is None and not problems.on("result"):
        problems.add(gettext("Choose the result."), "result")
    problems.raise_any()
    assert verdict is not None
    return verdict


def record_retention(
    actor: User, outcome: Outcome, months: int, checked_on: date | None, result: str, note: str = ""
) -> RetentionCheck:
    verdict = check_retention(outcome, months, checked_on, result)
    check = db.session.scalar(
        db.select(RetentionCheck).where(
            RetentionCheck.outcome_id == outcome.id, RetentionCheck.months == months
        )
    )
    if check is None:
        check = RetentionCheck(
            outcome_id=outcome.id,
            months=months,
            checked_on=checked_on,
            result=verdict,
            note=note.strip()[:300],
            recorded_by_id=actor.id,
        )
        db.session.add(check)
    else:
        check.checked_on, check.result, check.note = checked_on, verdict, note.strip()[:300]
    db.session.flush()
    audit.record(
        actor,
        "outcome.retention",
        outcome,
        {"months": months, "result": str(verdict)},
        label=outcome.enrollment.user.email,
        campus_id=outcome.enrollment.cohort.campus_id,
    )
    return check


def retention_checks(outcomes: list[Outcome]) -> dict[int, list[RetentionCheck]]:
    ids = [o.id for o in outcomes]
    grouped: dict[int, list[RetentionCheck]] = {}
    if ids:
        for check in db.session.scalars(
            db.select(RetentionCheck)
            .where(RetentionCheck.outcome_id.in_(ids))
            .order_by(RetentionCheck.months)
        ):
            grouped.setdefault(check.outcome_id, []).append(check)
    return grouped


def log_view(actor: User, enrollment: Enrollment) -> None:
    audit.record_access(
        actor,
        AccessAction.VIEW,
        f"{enrollment.user.name} <{enrollment.user.email}>",
        subject=enrollment,
        page="placements.trainee",
    )


# --- companies and referrals -------------------------------------------------------------


def check_company(campus_id: int | None, name: str | None) -> None:
    """The service's checks of a new company (its name on its campus), changing nothing."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(gettext("Enter the company name."), "name")
    if campus_id and db.session.scalar(
        db.select(Company.id).where(Company.campus_id == campus_id, Company.name == name)
    ):
        raise Conflict(
            gettext("This campus already has a company named %(name)s.", name=name), "name"
        )


def create_company(
    actor: User,
    *,
    campus_id: int,
    name: str,
    industry: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    openings: str = "",
) -> Company:
    name = " ".join((name or "").split())
    check_company(campus_id, name)
    company = Company(
        campus_id=campus_id,
        name=name[:200],
        industry=industry.strip()[:100],
        contact_name=contact_name.strip()[:100],
        contact_email=contact_email.strip()[:254],
        contact_phone=contact_phone.strip()[:30],
        openings=openings.strip(),
    )
    db.session.add(company)
    db.session.flush()
    audit.record(
        actor, "company.created", company, {"name": [None, name]}, label=name, campus_id=campus_id
    )
    return company


MATCHING_DAYS_OFFERED = 50  # the form offers the newest; an older one stays valid


def _matching_days_of(user: User, *columns: Any) -> sa.Select:
    """The matching days of the user's campus (every campus for an admin): the events, or
    the columns given."""
    from ..models import CohortEvent, Course, EventKind

    stmt = (
        db.select(*(columns or (CohortEvent,)))
        .select_from(CohortEvent)
        .join(Cohort, Cohort.id == CohortEvent.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(CohortEvent.kind == EventKind.MATCHING_DAY)
    )
    if user.role != Role.ADMIN:
        stmt = stmt.where(Course.campus_id == user.campus_id)
    return stmt


def matching_days(user: User) -> list[sa.Row]:
    """The newest matching-day events (매칭데이) of the user's campus, for the form's choice:
    rows of their id, start and title (not the events, with their descriptions)."""
    from ..models import CohortEvent

    stmt = _matching_days_of(
        user, CohortEvent.id, CohortEvent.starts_at, CohortEvent.title
    ).order_by(CohortEvent.starts_at.desc())
    return list(db.session.execute(stmt.limit(MATCHING_DAYS_OFFERED)))


def _is_matching_day_of(user: User, event_id: int) -> bool:
    from ..models import CohortEvent

    return db.session.scalar(_matching_days_of(user).where(CohortEvent.id == event_id)) is not None


def check_referral(
    actor: User,
    enrollment: Enrollment | None,
    company: Company | None,
    *,
    consent: bool,
    matching_day_id: int | None,
) -> None:
    """Every problem of a referral at once (DomainErrors), changing nothing.

    None for the trainee or company: not chosen (the form says so); its rules are skipped.
    """
    problems = Problems()
    if not consent:
        problems.add(
            gettext(
                "A referral shares the trainee's data with the company: "
                "record it only with the trainee's consent."
            ),
            "consent",
        )
    if (
        enrollment is not None
        and company is not None
        and company.campus_id != enrollment.cohort.campus_id
    ):
        problems.add_error(NotAllowed(gettext("Choose a company of this campus."), "company_id"))
    if matching_day_id is not None and not _is_matching_day_of(actor, matching_day_id):
        problems.add(gettext("Choose a matching day of this campus."), "matching_day_id")
    problems.raise_any()


def refer(
    actor: User,
    enrollment: Enrollment,
    company: Company,
    *,
    position: str,
    consent: bool,
    note: str = "",
    matching_day_id: int | None = None,
) -> Referral:
    """Propose a trainee to a company; sharing their data needs their consent."""
    check_referral(actor, enrollment, company, consent=consent, matching_day_id=matching_day_id)
    referral = Referral(
        enrollment_id=enrollment.id,
        company_id=company.id,
        position=(position or "").strip()[:200],
        sharing_consent_at=utcnow(),
        note=(note or "").strip(),
        created_by_id=actor.id,
        matching_day_id=matching_day_id,
    )
    db.session.add(referral)
    db.session.flush()
    audit.record(
        actor,
        "referral.created",
        referral,
        {"company": [None, company.name], "position": [None, referral.position]},
        label=enrollment.user.email,
        campus_id=company.campus_id,
    )
    audit.record_access(
        actor,
        AccessAction.CHANGE,
        enrollment.user.email,
        subject=enrollment,
        page="placements.referral",
        detail=company.name,
    )
    return referral


REFERRAL_NEXT = {
    ReferralStatus.PROPOSED: (ReferralStatus.SENT, ReferralStatus.NOT_HIRED),
    ReferralStatus.SENT: (ReferralStatus.INTERVIEW, ReferralStatus.NOT_HIRED),
    ReferralStatus.INTERVIEW: (ReferralStatus.HIRED, ReferralStatus.NOT_HIRED),
}


def advance_referral(
    actor: User, referral: Referral, to: str, *, started_on: date | None = None
) -> None:
    """proposed → sent → interview → hired | not hired; a hire becomes the employment outcome."""
    target = _enum(ReferralStatus, to, "status", gettext("Unknown referral status."))
    if target not in REFERRAL_NEXT.get(referral.status, ()):
        raise Conflict(gettext("This referral cannot move to that step."))
    changes = audit.apply_changes(referral, {"status": target})
    audit.record(
        actor,
        "referral.updated",
        referral,
        changes,
        label=referral.enrollment.user.email,
        campus_id=referral.company.campus_id,
    )
    if target == ReferralStatus.HIRED:
        if started_on is None:
            raise InvalidInput(gettext("Enter the date the job starts."), "started_on")
        if referral.enrollment.status not in COMPLETED:
            # Hired while still in training (조기취업): only a completed trainee has an
            # outcome, so it is recorded once the roster marks the completion.
            return
        record_outcome(
            actor,
            referral.enrollment,
            OutcomeData(
                kind=OutcomeKind.EMPLOYED,
                outcome_on=started_on,
                company=referral.company.name,
                job_title=referral.position,
                industry=referral.company.industry,
                evidence=gettext("Hired through a referral"),
            ),
        )


# --- certifications ----------------------------------------------------------------------


def exam_named(name: str, *, create: bool = False) -> Exam | None:
    name = " ".join((name or "").split())
    exam = db.session.scalar(db.select(Exam).where(sa.func.upper(Exam.name) == name.upper()))
    if exam is None and create and name:
        exam = Exam(name=name[:100])
        db.session.add(exam)
        db.session.flush()
    return exam


def record_attempt(
    actor: User | None,
    trainee: User,
    exam_name: str,
    exam_on: date | None,
    passed: bool,
    score: int | None = None,
) -> CertificationAttempt | None:
    """Record an exam attempt; the same trainee, exam and date again changes nothing new."""
    problems = Problems()
    if trainee.role != Role.TRAINEE:
        problems.add(gettext("Certifications are recorded for trainees."), "email")
    if not (exam_name or "").strip():
        problems.add(gettext("Enter the exam."), "exam")
    if exam_on is None:
        problems.add(gettext("Enter the exam date."), "exam_on")
    if score is not None and score < 0:
        problems.add(gettext("A score cannot be negative."), "score")
    problems.raise_any()
    exam = exam_named(exam_name, create=True)
    attempt = db.session.scalar(
        db.select(CertificationAttempt).where(
            CertificationAttempt.user_id == trainee.id,
            CertificationAttempt.exam_id == exam.id,
            CertificationAttempt.exam_on == exam_on,
        )
    )
    if attempt is not None:
        if attempt.passed == passed and attempt.score == score:
            return None
        changes = audit.apply_changes(attempt, {"passed": passed, "score": score})
    else:
        attempt = CertificationAttempt(
            user_id=trainee.id, exam_id=exam.id, exam_on=exam_on, passed=passed, score=score
        )
        db.session.add(attempt)
        changes = {"exam": [None, exam.name], "passed": [None, passed], "score": [None, score]}
    db.session.flush()
    audit.record(
        actor,
        "certification.recorded",
        attempt,
        changes,
        label=trainee.email,
        campus_id=trainee.campus_id,
    )
    return attempt


def attempts_of(trainee: User) -> list[CertificationAttempt]:
    """The trainee's exam attempts with their exams, by date (not the trainee again)."""
    return list(
        db.session.scalars(
            db.select(CertificationAttempt)
            .where(CertificationAttempt.user_id == trainee.id)
            .order_by(CertificationAttempt.exam_on)
            .options(lazyload(CertificationAttempt.user))
        )
    )
