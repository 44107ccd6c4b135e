"""Selection use-cases: applying, eligibility, stages, scores, interviews, decisions, enrolment.

Capacity: a cohort's places (accepted + offered + enrolled) are counted in
cohorts.seats_taken and taken only by a conditional UPDATE (`seats_taken < capacity`),
which the database applies atomically on SQLite and PostgreSQL alike; a CHECK
constraint backs it. Every decision first takes what it needs with conditional
UPDATEs and raises before writing anything else, so a refused step leaves nothing
half-written and bulk actions can go on with the next applicant.

Services flush, never commit; they raise DomainError subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import format_date, gettext, lazy_gettext
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError

from .. import audit, notify
from ..auth.services import create_user, find_user_by_email, normalise_email
from ..clock import today_in_seoul
from ..errors import Conflict, InvalidInput, Problems
from ..extensions import db
from ..links import external_url
from ..models import (
    Application,
    ApplicationScore,
    AuditEntry,
    Cohort,
    CohortStatus,
    DataRequest,
    DepositStatus,
    Education,
    EmploymentStatus,
    Enrollment,
    InterviewSlot,
    Role,
    Stage,
    User,
)
from ..models.applications import HOLDS_SEAT, IN_SELECTION, OUTSIDE_SEOUL, SCORED_STAGES
from ..models.audit import AccessAction
from ..models.types import utcnow
from ..seoul import SEOUL_DISTRICTS
from .tokens import new_nonce, token_for, token_hash

MOTIVATION_MAX_LENGTH = 2000


class CohortFull(Conflict):
    """Every place of the cohort is taken."""


class AlreadyApplied(Conflict):
    """The e-mail address already applied to the cohort.

    `existing` is that application, or None when a double submit raced past the check
    and lost at the unique constraint (the caller must roll back).
    """

    def __init__(self, existing: Application | None = None) -> None:
        super().__init__(
            gettext(
                "An application with this e-mail address was already sent to "
                "this cohort. Use the link in its confirmation mail."
            ),
            "email",
        )
        self.existing = existing


class NotOpen(Conflict):
    """The cohort is not recruiting now."""


class SlotTaken(Conflict):
    """The interview slot already has an applicant, or overlaps another of the interviewer."""


# --- applying -------------------------------------------------------------------------


def open_cohorts(today: date | None = None) -> list[Cohort]:
    """Cohorts recruiting now, in campus opening order."""
    from ..models import Campus, Course

    today = today or today_in_seoul()
    return list(
        db.session.scalars(
            db.select(Cohort)
            .join(Cohort.course)
            .join(Course.campus)
            .where(
                Cohort.status == CohortStatus.RECRUITING,
                Cohort.recruit_start_on <= today,
                Cohort.recruit_end_on >= today,
            )
            .order_by(
                Campus.opening_order.nulls_last(), Campus.name_ko, Course.title, Cohort.number
            )
        )
    )


def check_open(cohort: Cohort, today: date | None = None) -> None:
    today = today or today_in_seoul()
    if (
        cohort.status != CohortStatus.RECRUITING
        or not cohort.recruit_start_on <= today <= cohort.recruit_end_on
    ):
        raise NotOpen(
            gettext(
                "Recruiting for this cohort is closed (%(start)s – %(end)s).",
                start=format_date(cohort.recruit_start_on),
                end=format_date(cohort.recruit_end_on),
            )
        )
    if cohort.seats_taken >= cohort.capacity:
        raise NotOpen(
            gettext("This cohort is full: all %(n)d places are taken.", n=cohort.capacity)
        )


@dataclass
class ApplicantDetails:
    name: str
    email: str
    phone: str
    birth_date: date
    district: str
    seoul_university: bool
    employment_status: EmploymentStatus | str
    education: Education | str
    motivation: str
    portfolio_url: str | None = None


def validate_application(
    details: ApplicantDetails, *, consent: bool, today: date | None = None
) -> dict[str, str]:
    """Every problem of an application at once, as field → message (empty when it is fine).

    The public form shows them all beside their fields in one answer; submit_application
    runs the same checks and refuses on its own.
    """
    return _clean_details(details, consent=consent, today=today or today_in_seoul())[1]


def check_details(details: ApplicantDetails, today: date) -> ApplicantDetails:
    """The details cleaned up (spaces, phone format, enums); InvalidInput for the first problem."""
    cleaned, problems = _clean_details(details, consent=True, today=today)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field)
    assert cleaned is not None
    return cleaned


def _clean_details(
    details: ApplicantDetails, *, consent: bool, today: date
) -> tuple[ApplicantDetails | None, dict[str, str]]:
    """Check every field in one pass: the cleaned details (None when any is wrong), problems."""
    problems: dict[str, str] = {}
    name = " ".join((details.name or "").split())
    if not name:
        problems["name"] = gettext("Enter your name.")
    elif len(name) > 100:
        problems["name"] = gettext("The name is too long (100 characters at most).")
    email = normalise_email(details.email or "")
    if not email:
        problems["email"] = gettext("Enter your e-mail address.")
    elif len(email) > 254 or not _is_email(email):
        problems["email"] = gettext("Enter an e-mail address such as name@example.com.")
    phone = ""
    try:
        phone = normalise_phone(details.phone or "")
    except InvalidInput as error:
        problems["phone"] = error.message
    if details.birth_date is None:
        problems["birth_date"] = gettext("Enter your birth date.")
    elif details.birth_date >= today:
        problems["birth_date"] = gettext("The birth date must be in the past.")
    elif details.birth_date.year < today.year - 100:
        problems["birth_date"] = gettext("Check the birth date.")
    if details.district not in SEOUL_DISTRICTS and details.district != OUTSIDE_SEOUL:
        problems["district"] = gettext("Choose the district you live in.")
    employment: EmploymentStatus | None = None
    try:
        employment = EmploymentStatus(details.employment_status)
    except ValueError:
        problems["employment_status"] = gettext("Choose your employment status.")
    education: Education | None = None
    try:
        education = Education(details.education)
    except ValueError:
        problems["education"] = gettext("Choose your education.")
    motivation = (details.motivation or "").strip()
    if not motivation:
        problems["motivation"] = gettext("Tell us why you apply.")
    elif len(motivation) > MOTIVATION_MAX_LENGTH:
        problems["motivation"] = gettext(
            "The motivation has %(n)d characters; %(max)d at most.",
            n=len(motivation),
            max=MOTIVATION_MAX_LENGTH,
        )
    url = (details.portfolio_url or "").strip() or None
    if url and not url.lower().startswith(("http://", "https://")):
        problems["portfolio_url"] = gettext(
            "The portfolio link must start with http:// or https://."
        )
    elif url and len(url) > 500:
        problems["portfolio_url"] = gettext("The portfolio link is too long.")
    if not consent:
        problems["consent"] = gettext("Agree to the collection and use of personal data to apply.")
    if problems or employment is None or education is None or details.birth_date is None:
        return None, problems
    cleaned = ApplicantDetails(
        name=name,
        email=email,
        phone=phone,
        birth_date=details.birth_date,
        district=details.district,
        seoul_university=bool(details.seoul_university),
        employment_status=employment,
        education=education,
        motivation=motivation,
        portfolio_url=url,
    )
    return cleaned, problems


def _is_email(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def normalise_phone(phone: str) -> str:
    """010-1234-5678 or 01012345678 → 010-1234-5678."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not (digits.startswith("01") and len(digits) in (10, 11)):
        raise InvalidInput(gettext("Enter a mobile number such as 010-1234-5678."), "phone")
    return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"


def submit_application(
    cohort: Cohort,
    details: ApplicantDetails,
    *,
    consent: bool,
    locale: str = "ko",
    source: str = "web",
    actor: User | None = None,
    today: date | None = None,
    send_mail: bool = True,
) -> Application:
    """Store an application (checked, with its eligibility flags) and mail its private link.

    Raises InvalidInput, NotOpen, and AlreadyApplied when the address already applied to
    the cohort (before writing anything; after the flush when a double submit raced).
    """
    today = today or today_in_seoul()
    if source == "web":
        check_open(cohort, today)
    cleaned, problems = _clean_details(details, consent=consent, today=today)
    if problems:  # the first; validate_application gives the form every one
        field, message = next(iter(problems.items()))
        raise InvalidInput(message, field)
    assert cleaned is not None
    details = cleaned
    existing = _application_of(cohort, details.email)
    if existing is not None:
        raise AlreadyApplied(existing)
    nonce = new_nonce()
    application = Application(
        cohort_id=cohort.id,
        name=details.name,
        email=details.email,
        phone=details.phone,
        birth_date=details.birth_date,
        district=details.district,
        seoul_university=details.seoul_university,
        employment_status=details.employment_status,
        education=details.education,
        motivation=details.motivation,
        portfolio_url=details.portfolio_url,
        consent_version=current_app.config["CONSENT_NOTICE_VERSION"],
        consented_at=utcnow(),
        source=source,
        stage=Stage.SUBMITTED,
        status_nonce=nonce,
        status_token_hash=token_hash(token_for(nonce)),
        locale=locale,
    )
    _apply_eligibility(cohort, application)
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:  # a double submit raced past the check; the caller rolls back
        raise AlreadyApplied() from None
    audit.record(
        actor,
        "application.submitted",
        application,
        {"stage": [None, Stage.SUBMITTED], "source": [None, source]},
        label=f"{application.name} <{application.email}>",
        campus_id=cohort.campus_id,
    )
    if send_mail:
        _mail(application, "submitted")
    return application


def apply_online(cohort: Cohort, details: ApplicantDetails, *, consent: bool, locale: str) -> None:
    """The public form: store the application and mail its private link or, when the address
    already applied to the cohort, store nothing and mail it that application's link.

    The form then answers both alike, so it tells nobody who applied where; only the
    owner of the mailbox learns it. Raises what submit_application raises, except
    AlreadyApplied found by the check; AlreadyApplied still comes when a double submit
    raced past the check and lost: the caller rolls back and answers as for the others
    (the submission that won mails the link).
    """
    try:
        submit_application(cohort, details, consent=consent, locale=locale)
    except AlreadyApplied as duplicate:
        if duplicate.existing is None:
            raise
        _mail(duplicate.existing, "already_applied")


def _application_of(cohort: Cohort, email: str) -> Application | None:
    return db.session.scalar(
        db.select(Application).where(Application.cohort_id == cohort.id, Application.email == email)
    )


def status_link(application: Application) -> str:
    return external_url("applications.status", token=token_for(application.status_nonce))


def find_by_token(token: str) -> Application | None:
    if not token or len(token) > 128:
        return None
    return db.session.scalar(
        db.select(Application).where(Application.status_token_hash == token_hash(token))
    )


# --- eligibility ----------------------------------------------------------------------


def eligibility_flags(cohort: Cohort, application: Application) -> list[dict[str, Any]]:
    """Reasons the applicant may not meet the cohort's rules; shown as flags, never a block."""
    flags: list[dict[str, Any]] = []
    age = application.age_on(cohort.start_on)
    if (cohort.min_age is not None and age < cohort.min_age) or (
        cohort.max_age is not None and age > cohort.max_age
    ):
        flags.append({"code": "age", "age": age, "min": cohort.min_age, "max": cohort.max_age})
    if (
        cohort.require_seoul
        and application.district == OUTSIDE_SEOUL
        and not (application.seoul_university)
    ):
        flags.append({"code": "seoul"})
    if cohort.require_unemployed and application.employment_status in (
        EmploymentStatus.EMPLOYED,
        EmploymentStatus.SELF_EMPLOYED,
    ):
        flags.append({"code": "employed", "status": str(application.employment_status)})
    return flags


def _apply_eligibility(cohort: Cohort, application: Application) -> None:
    application.eligibility_flags = eligibility_flags(cohort, application)
    application.eligible = not application.eligibility_flags


def flag_message(flag: dict[str, Any]) -> str:
    code = flag.get("code")
    if code == "age":
        low = flag.get("min") if flag.get("min") is not None else "—"
        high = flag.get("max") if flag.get("max") is not None else "—"
        return gettext(
            "Age %(age)s (full years) on the start date is outside %(min)s–%(max)s.",
            age=flag.get("age"),
            min=low,
            max=high,
        )
    if code == "seoul":
        return gettext("Lives outside Seoul and does not attend a Seoul university.")
    if code == "employed":
        return gettext("Currently employed or self-employed.")
    return str(code)


@dataclass
class SelectionSettings:
    uses_screening: bool
    uses_assessment: bool
    uses_interview: bool
    min_age: int | None
    max_age: int | None
    require_seoul: bool
    require_unemployed: bool
    offer_days: int


def check_selection_settings(cohort: Cohort, settings: SelectionSettings) -> None:
    """Every problem of the selection settings at once (DomainErrors), changing nothing.

    A value that is None was not given or did not parse (the form says so): skipped.
    """
    problems = Problems()
    if (
        settings.min_age is not None
        and settings.max_age is not None
        and (settings.min_age > settings.max_age)
    ):
        problems.add(gettext("The lowest age cannot be above the highest."), "max_age")
    if settings.offer_days is not None and settings.offer_days < 1:
        problems.add(gettext("Give at least one day to take an offered place."), "offer_days")
    in_stage = db.session.scalars(
        db.select(Application.stage)
        .where(Application.cohort_id == cohort.id, Application.stage.in_(SCORED_STAGES))
        .distinct()
    ).all()
    for stage, used, field in (
        (Stage.SCREENING, settings.uses_screening, "uses_screening"),
        (Stage.ASSESSMENT, settings.uses_assessment, "uses_assessment"),
        (Stage.INTERVIEW, settings.uses_interview, "uses_interview"),
    ):
        if not used and stage in in_stage:
            problems.add_error(
                Conflict(
                    gettext(
                        "Applicants are in the stage “%(stage)s”: move them on before "
                        "turning it off.",
                        stage=stage_label(stage),
                    ),
                    field,
                )
            )
    problems.raise_any()


def update_selection_settings(actor: User, cohort: Cohort, settings: SelectionSettings) -> int:
    """Save the cohort's stages and eligibility rules; re-flag its applicants. Returns how many."""
    check_selection_settings(cohort, settings)
    changes = audit.apply_changes(cohort, vars(settings))
    if not changes:
        return 0
    audit.record(
        actor,
        "cohort.selection_settings",
        cohort,
        changes,
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    applications = db.session.scalars(
        db.select(Application).where(Application.cohort_id == cohort.id)
    ).all()
    for application in applications:
        _apply_eligibility(cohort, application)
    return len(applications)


# --- stages ---------------------------------------------------------------------------


def stages_of(cohort: Cohort) -> list[Stage]:
    """The assessment stages this cohort uses, in order."""
    return [
        stage
        for stage, used in (
            (Stage.SCREENING, cohort.uses_screening),
            (Stage.ASSESSMENT, cohort.uses_assessment),
            (Stage.INTERVIEW, cohort.uses_interview),
        )
        if used
    ]


def next_stage(application: Application) -> Stage | None:
    if application.stage not in IN_SELECTION:
        return None
    order = [Stage.SUBMITTED, *stages_of(application.cohort)]
    index = order.index(application.stage) if application.stage in order else -1
    return order[index + 1] if 0 <= index < len(order) - 1 else None


def _move(
    application: Application, to: Stage, allowed_from: tuple[Stage, ...], **values: Any
) -> Stage:
    """Change the stage only if nobody changed it meanwhile; return the stage it had.

    The UPDATE requires the very stage the caller saw, not just any allowed one: callers
    decide from it (does the applicant hold a place?), so a reject or withdrawal racing
    an accept must be refused rather than leave the accepted place counted for ever.
    """
    before = application.stage
    result = db.session.execute(
        sa.update(Application)
        .where(
            Application.id == application.id,
            Application.stage == before,
            Application.stage.in_(allowed_from),
        )
        .values(stage=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(application)
        raise Conflict(
            gettext(
                "%(name)s is now “%(stage)s”; this step does not apply.",
                name=application.name,
                stage=stage_label(application.stage),
            )
        )
    db.session.refresh(application)
    return before


def _record(
    actor: User | None, action: str, application: Application, before: Stage, **extra: Any
) -> None:
    changes: dict[str, Any] = {"stage": [before, application.stage]}
    changes.update({key: [None, value] for key, value in extra.items() if value is not None})
    audit.record(
        actor,
        action,
        application,
        changes,
        label=f"{application.name} <{application.email}>",
        campus_id=application.cohort.campus_id,
    )


def advance(actor: User, application: Application) -> Stage:
    """Move one stage on (submitted → screening → assessment → interview, as the cohort uses)."""
    to = next_stage(application)
    if to is None:
        raise Conflict(
            gettext("%(name)s has no further stage: decide instead.", name=application.name)
        )
    before = _move(application, to, (application.stage,))
    _record(actor, "application.stage_changed", application, before)
    if to == Stage.INTERVIEW:
        pass  # the interview mail goes out when a slot is assigned
    return to


def _take_seat(cohort: Cohort) -> bool:
    result = db.session.execute(
        sa.update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.seats_taken < Cohort.capacity)
        .values(seats_taken=Cohort.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_seat(cohort: Cohort) -> None:
    db.session.execute(
        sa.update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.seats_taken > 0)
        .values(seats_taken=Cohort.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def accept(actor: User, application: Application, reason: str = "") -> None:
    """Accept within capacity; raises CohortFull when every place is taken."""
    if application.stage not in (*IN_SELECTION, Stage.WAITLISTED):
        raise Conflict(
            gettext(
                "%(name)s is now “%(stage)s”; this step does not apply.",
                name=application.name,
                stage=stage_label(application.stage),
            )
        )
    cohort = application.cohort
    if not _take_seat(cohort):
        db.session.refresh(cohort)
        raise CohortFull(
            gettext(
                "The cohort is full: all %(n)d places are taken. Waitlist the applicant instead.",
                n=cohort.capacity,
            )
        )
    try:
        before = _move(
            application,
            Stage.ACCEPTED,
            (*IN_SELECTION, Stage.WAITLISTED),
            waitlist_rank=None,
            decided_at=utcnow(),
            decided_by_id=actor.id,
            decision_reason=reason.strip() or None,
        )
    except Conflict:
        _release_seat(cohort)
        raise
    db.session.refresh(cohort)
    _record(actor, "application.accepted", application, before, reason=reason.strip() or None)
    _mail(application, "accepted")


def waitlist(actor: User, application: Application, reason: str = "") -> None:
    """Put on the waitlist, last in rank."""
    rank = (
        db.session.scalar(
            db.select(sa.func.max(Application.waitlist_rank)).where(
                Application.cohort_id == application.cohort_id
            )
        )
        or 0
    ) + 1
    before = _move(
        application,
        Stage.WAITLISTED,
        IN_SELECTION,
        waitlist_rank=rank,
        decided_at=utcnow(),
        decided_by_id=actor.id,
        decision_reason=reason.strip() or None,
    )
    _record(
        actor,
        "application.waitlisted",
        application,
        before,
        waitlist_rank=rank,
        reason=reason.strip() or None,
    )
    _mail(application, "waitlisted")


def reject(actor: User, application: Application, reason: str) -> None:
    """Reject with a reason; a place an accepted applicant held goes to the waitlist."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(gettext("Give the reason for the rejection."), "reason")
    held = application.stage in HOLDS_SEAT
    before = _move(
        application,
        Stage.REJECTED,
        (*IN_SELECTION, Stage.WAITLISTED, Stage.ACCEPTED),
        waitlist_rank=None,
        decided_at=utcnow(),
        decided_by_id=actor.id,
        decision_reason=reason,
    )
    _record(actor, "application.rejected", application, before, reason=reason)
    _mail(application, "rejected")
    if held:
        _release_seat(application.cohort)
        offer_next(actor, application.cohort)


def move_in_waitlist(actor: User, application: Application, offset: int) -> None:
    """Swap with the neighbour above (offset -1) or below (+1) on the waitlist."""
    if application.stage != Stage.WAITLISTED:
        raise Conflict(gettext("Only waitlisted applicants have a rank."))
    ranks = db.select(Application).where(
        Application.cohort_id == application.cohort_id, Application.stage == Stage.WAITLISTED
    )
    if offset < 0:
        neighbour = db.session.scalar(
            ranks.where(Application.waitlist_rank < application.waitlist_rank)
            .order_by(Application.waitlist_rank.desc())
            .limit(1)
        )
    else:
        neighbour = db.session.scalar(
            ranks.where(Application.waitlist_rank > application.waitlist_rank)
            .order_by(Application.waitlist_rank)
            .limit(1)
        )
    if neighbour is None:
        return
    mine, theirs = application.waitlist_rank, neighbour.waitlist_rank
    application.waitlist_rank, neighbour.waitlist_rank = theirs, mine
    audit.record(
        actor,
        "application.waitlist_moved",
        application,
        {"waitlist_rank": [mine, theirs]},
        label=f"{application.name} <{application.email}>",
        campus_id=application.cohort.campus_id,
    )


def withdraw(application: Application, actor: User | None = None) -> None:
    """The applicant withdraws (until enrolled); a held place is offered to the waitlist."""
    held = application.stage in HOLDS_SEAT
    before = _move(
        application,
        Stage.WITHDRAWN,
        (*IN_SELECTION, Stage.WAITLISTED, Stage.ACCEPTED, Stage.OFFERED),
        waitlist_rank=None,
        offer_expires_on=None,
        interview_slot_id=None,
    )
    _record(actor, "application.withdrawn", application, before)
    if held:
        _release_seat(application.cohort)
        offer_next(actor, application.cohort)


def offer_next(actor: User | None, cohort: Cohort, today: date | None = None) -> Application | None:
    """Offer a freed place to the first waitlisted applicant, with an accept-by date."""
    today = today or today_in_seoul()
    candidates = db.session.scalars(
        db.select(Application)
        .where(Application.cohort_id == cohort.id, Application.stage == Stage.WAITLISTED)
        .order_by(Application.waitlist_rank, Application.id)
        .limit(5)
    ).all()
    for candidate in candidates:
        if not _take_seat(cohort):
            return None
        expires = today + timedelta(days=cohort.offer_days)
        try:
            before = _move(
                candidate,
                Stage.OFFERED,
                (Stage.WAITLISTED,),
                offer_expires_on=expires,
                waitlist_rank=None,
            )
        except Conflict:
            _release_seat(cohort)
            continue
        _record(actor, "application.offered", candidate, before, offer_expires_on=expires)
        _mail(candidate, "offered")
        db.session.refresh(cohort)
        return candidate
    return None


def accept_offer(application: Application, today: date | None = None) -> None:
    today = today or today_in_seoul()
    if application.stage != Stage.OFFERED:
        raise Conflict(gettext("There is no open offer on this application."))
    if application.offer_expires_on is not None and application.offer_expires_on < today:
        raise Conflict(
            gettext("The offer ended on %(date)s.", date=format_date(application.offer_expires_on))
        )
    before = _move(
        application, Stage.ACCEPTED, (Stage.OFFERED,), offer_expires_on=None, decided_at=utcnow()
    )
    _record(None, "application.offer_accepted", application, before)


def expire_offers(today: date | None = None) -> int:
    """Offers not taken by their date lapse; each freed place goes to the next on the list."""
    today = today or today_in_seoul()
    lapsed = db.session.scalars(
        db.select(Application)
        .where(Application.stage == Stage.OFFERED, Application.offer_expires_on < today)
        .order_by(Application.id)
    ).all()
    for application in lapsed:
        try:
            before = _move(application, Stage.LAPSED, (Stage.OFFERED,))
        except Conflict:
            continue
        _record(None, "application.offer_lapsed", application, before)
        _release_seat(application.cohort)
        offer_next(None, application.cohort, today)
    return len(lapsed)


# --- scores ---------------------------------------------------------------------------


def check_score(application: Application, stage: Stage | str | None, score: int | None) -> Stage:
    """The stage scored, or every problem of a score at once (DomainErrors), changing nothing."""
    problems = Problems()
    if application.stage not in IN_SELECTION:
        problems.add_error(
            Conflict(
                gettext(
                    "%(name)s is now “%(stage)s”; this step does not apply.",
                    name=application.name,
                    stage=stage_label(application.stage),
                )
            )
        )
    chosen = None
    try:
        chosen = Stage(stage)
    except ValueError:
        problems.add(gettext("Choose a stage."), "stage")
    if chosen is not None and chosen not in stages_of(application.cohort):
        problems.add(
            gettext("This cohort does not use the stage “%(stage)s”.", stage=stage_label(chosen)),
            "stage",
        )
    if score is None or not 0 <= score <= 100:
        problems.add(gettext("A score is between 0 and 100."), "score")
    problems.raise_any()
    assert chosen is not None
    return chosen


def record_score(
    actor: User, application: Application, stage: Stage | str, score: int, comment: str = ""
) -> ApplicationScore:
    """Give or change this evaluator's score (0–100) for one stage."""
    stage = check_score(application, stage, score)
    existing = db.session.scalar(
        db.select(ApplicationScore).where(
            ApplicationScore.application_id == application.id,
            ApplicationScore.stage == stage,
            ApplicationScore.evaluator_id == actor.id,
        )
    )
    old = (existing.score, existing.comment) if existing else (None, None)
    if existing is None:
        existing = ApplicationScore(
            application_id=application.id,
            stage=stage,
            evaluator_id=actor.id,
            evaluator_label=actor.name,
            score=score,
            comment=comment.strip(),
        )
        db.session.add(existing)
    else:
        existing.score, existing.comment = score, comment.strip()
    db.session.flush()
    audit.record(
        actor,
        "application.scored",
        application,
        {"stage": str(stage), "score": [old[0], score], "comment": [old[1], comment.strip()]},
        label=f"{application.name} <{application.email}>",
        campus_id=application.cohort.campus_id,
    )
    return existing


def scores_by_stage(application: Application) -> dict[Stage, list[ApplicationScore]]:
    rows = db.session.scalars(
        db.select(ApplicationScore)
        .where(ApplicationScore.application_id == application.id)
        .order_by(ApplicationScore.stage, ApplicationScore.id)
    ).all()
    grouped: dict[Stage, list[ApplicationScore]] = {}
    for row in rows:
        grouped.setdefault(row.stage, []).append(row)
    return grouped


# --- interviews -----------------------------------------------------------------------


def _interviewers(cohort: Cohort, *columns: Any) -> Select:
    """The staff of the cohort's campus who may interview, by name."""
    return (
        db.select(*columns)
        .where(
            User.campus_id == cohort.campus_id,
            User.active,
            User.role.in_((Role.MANAGER, Role.COORDINATOR, Role.MENTOR)),
        )
        .order_by(User.name)
    )


def interviewers_for(cohort: Cohort) -> list[User]:
    return list(db.session.scalars(_interviewers(cohort, User)))


def interviewer_names(cohort: Cohort) -> list[tuple[int, str]]:
    """(id, name) of each of `interviewers_for`, for a list to choose from."""
    rows = db.session.execute(_interviewers(cohort, User.id, User.name))
    return [(id_, name) for id_, name in rows]


def check_slot(
    cohort: Cohort,
    *,
    interviewer: User | None,
    starts_at: datetime | None,
    minutes: int | None,
    location: str | None,
) -> None:
    """Every problem of a new interview slot at once (DomainErrors), changing nothing.

    The interviewer's other slots are compared only once the time and length are fine.
    """
    problems = Problems()
    interviewer_ok = interviewer is not None and interviewer in interviewers_for(cohort)
    if not interviewer_ok:
        problems.add(gettext("Choose an interviewer of this campus."), "interviewer_id")
    minutes_ok = minutes is not None and 5 <= minutes <= 240
    if not minutes_ok:
        problems.add(gettext("An interview lasts 5 to 240 minutes."), "minutes")
    time_ok = starts_at is not None and starts_at > utcnow()
    if not time_ok:
        problems.add(gettext("The interview must start in the future."), "starts_at")
    if not (location or "").strip():
        problems.add(gettext("Give the place or the online meeting link."), "location")
    if interviewer_ok and time_ok and minutes_ok:
        assert starts_at is not None and minutes is not None
        assert interviewer is not None
        ends_at = starts_at + timedelta(minutes=minutes)
        overlap = db.session.scalar(
            db.select(InterviewSlot.id)
            .where(
                InterviewSlot.interviewer_id == interviewer.id,
                InterviewSlot.starts_at < ends_at,
                InterviewSlot.ends_at > starts_at,
            )
            .limit(1)
        )
        if overlap is not None:
            problems.add_error(
                SlotTaken(
                    gettext(
                        "%(name)s already has an interview slot at that time.",
                        name=interviewer.name,
                    ),
                    "starts_at",
                )
            )
    problems.raise_any()


def create_slot(
    actor: User,
    cohort: Cohort,
    *,
    interviewer: User | None,
    starts_at: datetime,
    minutes: int,
    location: str,
) -> InterviewSlot:
    check_slot(
        cohort, interviewer=interviewer, starts_at=starts_at, minutes=minutes, location=location
    )
    assert interviewer is not None
    location = (location or "").strip()
    ends_at = starts_at + timedelta(minutes=minutes)
    slot = InterviewSlot(
        cohort_id=cohort.id,
        interviewer_id=interviewer.id,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location[:300],
    )
    db.session.add(slot)
    db.session.flush()
    audit.record(
        actor,
        "interview_slot.created",
        slot,
        {
            "starts_at": [None, starts_at],
            "interviewer": [None, interviewer.name],
            "location": [None, slot.location],
        },
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    return slot


def free_slots(cohort: Cohort) -> list[InterviewSlot]:
    taken = db.select(Application.interview_slot_id).where(
        Application.interview_slot_id.is_not(None)
    )
    return list(
        db.session.scalars(
            db.select(InterviewSlot)
            .where(
                InterviewSlot.cohort_id == cohort.id,
                InterviewSlot.starts_at > utcnow(),
                InterviewSlot.id.not_in(taken),
            )
            .order_by(InterviewSlot.starts_at)
        )
    )


def check_assignment(application: Application, slot: InterviewSlot | None) -> None:
    """Every problem of giving this slot to the applicant at once, changing nothing."""
    problems = Problems()
    if application.stage != Stage.INTERVIEW:
        problems.add_error(
            Conflict(gettext("Move %(name)s to the interview stage first.", name=application.name))
        )
    if slot is None or slot.cohort_id != application.cohort_id:
        problems.add(gettext("Choose a slot of this cohort."), "slot_id")
    elif db.session.scalar(
        db.select(Application.id).where(Application.interview_slot_id == slot.id).limit(1)
    ):
        problems.add_error(SlotTaken(gettext("That slot already has an applicant."), "slot_id"))
    problems.raise_any()


def assign_slot(actor: User, application: Application, slot: InterviewSlot | None) -> None:
    """Give the applicant an interview slot (one applicant per slot) and mail the time."""
    check_assignment(application, slot)
    assert slot is not None
    old = application.interview_slot
    holder = sa.orm.aliased(Application)
    try:
        result = db.session.execute(
            sa.update(Application)
            .where(
                Application.id == application.id,
                ~sa.exists().where(holder.interview_slot_id == slot.id),
            )
            .values(interview_slot_id=slot.id)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:  # raced with another assignment; the unique key held
        raise SlotTaken(gettext("That slot already has an applicant."), "slot_id") from None
    if result.rowcount != 1:
        raise SlotTaken(gettext("That slot already has an applicant."), "slot_id")
    db.session.refresh(application)
    audit.record(
        actor,
        "application.interview_assigned",
        application,
        {
            "interview": [old.starts_at if old else None, slot.starts_at],
            "interviewer": slot.interviewer.name,
        },
        label=f"{application.name} <{application.email}>",
        campus_id=application.cohort.campus_id,
    )
    _mail(application, "interview")


def delete_slot(actor: User, slot: InterviewSlot) -> None:
    taken = db.session.scalar(
        db.select(Application.id).where(Application.interview_slot_id == slot.id)
    )
    if taken is not None:
        raise Conflict(gettext("An applicant has this slot; give them another first."))
    cohort = db.session.get(Cohort, slot.cohort_id)
    audit.record(
        actor,
        "interview_slot.deleted",
        slot,
        {"starts_at": [slot.starts_at, None]},
        label=cohort.label(),
        campus_id=cohort.campus_id,
    )
    db.session.delete(slot)


# --- enrolment ------------------------------------------------------------------------


def _already_enrolled(application: Application) -> Conflict:
    return Conflict(gettext("%(name)s is already enrolled.", name=application.name))


def enroll(actor: User, application: Application) -> Enrollment:
    """Enrol an accepted applicant: roster entry and trainee account (linked if known).

    After the checks that only read, the stage moves to enrolled by the conditional
    UPDATE of _move, before anything else is written: of two requests for one applicant
    (a double click, two tabs) only one can take it, and the other is told "already
    enrolled" having written nothing. Were the account made first, both would insert it
    and the second would crash on uq_users_email. Raises Conflict: not accepted, already
    enrolled, a staff or deactivated account, already on the roster, or the account made
    at the same moment by the enrolment of another application with the same address
    (the caller rolls back; enrolling again then links that account).
    """
    if application.stage == Stage.ENROLLED:
        raise _already_enrolled(application)
    if application.stage != Stage.ACCEPTED:
        raise Conflict(gettext("Only accepted applicants can be enrolled."))
    cohort = application.cohort
    user = find_user_by_email(application.email)
    if user is not None:
        if user.role != Role.TRAINEE:
            raise Conflict(
                gettext(
                    "%(email)s belongs to a staff account; it cannot be enrolled as a trainee.",
                    email=application.email,
                )
            )
        if not user.active:
            raise Conflict(
                gettext(
                    "The trainee account of %(email)s is deactivated; activate it first.",
                    email=application.email,
                )
            )
        already = db.session.execute(
            db.select(Enrollment.id, Enrollment.application_id).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
            )
        ).first()
        if already is not None and already.application_id == application.id:
            raise _already_enrolled(application)  # a request just before this one won
        if already is not None:
            raise Conflict(gettext("%(name)s is already on this cohort's roster.", name=user.name))
    try:
        before = _move(application, Stage.ENROLLED, (Stage.ACCEPTED,))
    except Conflict:
        if application.stage == Stage.ENROLLED:  # _move reloaded it: the other request won
            raise _already_enrolled(application) from None
        raise
    if user is None:
        email = application.email  # read now: a failed flush leaves nothing to load it
        try:
            user = create_user(
                actor,
                email=email,
                name=application.name,
                role=Role.TRAINEE,
                campus=cohort.course.campus,
                locale=application.locale,
            )
        except (IntegrityError, Conflict):
            # The enrolment of another application of this address (another cohort) made
            # the account since the look-up above; enrolling again links it.
            raise Conflict(
                gettext(
                    "The account of %(email)s was being created by another enrolment at the "
                    "same moment: enrol again.",
                    email=email,
                )
            ) from None
    elif user.campus_id != cohort.campus_id:
        audit.record(
            actor,
            "user.updated",
            user,
            {"campus_id": [user.campus_id, cohort.campus_id]},
            label=user.email,
            campus_id=cohort.campus_id,
        )
        user.campus_id = cohort.campus_id
    application.user_id = user.id
    enrollment = Enrollment(
        cohort_id=cohort.id,
        user_id=user.id,
        application_id=application.id,
        deposit_status=DepositStatus.DUE if cohort.deposit_amount else DepositStatus.NOT_REQUIRED,
    )
    db.session.add(enrollment)
    db.session.flush()
    _record(actor, "application.enrolled", application, before)
    audit.record(
        actor,
        "roster.enrolled",
        enrollment,
        {"user": [None, user.email]},
        label=f"{user.name} <{user.email}>",
        campus_id=cohort.campus_id,
    )
    return enrollment


# --- the manager's pipeline -----------------------------------------------------------


@dataclass
class PipelineFilters:
    stage: str = ""
    eligible: str = ""  # "yes" | "no" | ""
    score_min: int | None = None
    score_max: int | None = None
    q: str = ""
    sort: str = "submitted"


SORTS = {
    "submitted": (Application.submitted_at, Application.id),
    "name": (Application.name, Application.id),
    "score": (Application.average_score.desc().nulls_last(), Application.id),
    "rank": (Application.waitlist_rank.nulls_last(), Application.id),
}


def stage_counts(cohort: Cohort) -> dict[str, int]:
    return {
        str(stage): count
        for stage, count in db.session.execute(
            db.select(Application.stage, sa.func.count())
            .where(Application.cohort_id == cohort.id)
            .group_by(Application.stage)
        )
    }


def competition_ratio(counts: dict[str, int], capacity: int) -> float:
    """Applicants per place, withdrawn applications not counted."""
    applicants = sum(n for stage, n in counts.items() if stage != Stage.WITHDRAWN)
    return applicants / capacity if capacity else 0.0


def history(application: Application) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.object_type == "Application", AuditEntry.object_id == application.id)
            .order_by(AuditEntry.id)
        )
    )


def log_view(actor: User, application: Application) -> None:
    audit.record_access(
        actor,
        AccessAction.VIEW,
        f"{application.name} <{application.email}>",
        subject=application,
        page="applications.show",
    )


BULK_ACTIONS = ("advance", "accept", "waitlist", "reject")


def bulk(
    actor: User, cohort: Cohort, application_ids: list[int], action: str, reason: str = ""
) -> tuple[int, list[str]]:
    """Apply one decision to several applicants; returns (done, refusals with names)."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(gettext("Choose what to do with the selected applicants."), "action")
    if action == "reject" and not reason.strip():
        raise InvalidInput(gettext("Give the reason for the rejection."), "reason")
    if not application_ids:
        raise InvalidInput(gettext("Select at least one applicant."), "ids")
    applications = db.session.scalars(
        db.select(Application)
        .where(Application.cohort_id == cohort.id, Application.id.in_(application_ids))
        .order_by(Application.id)
    ).all()
    done, refused = 0, []
    for application in applications:
        try:
            if action == "advance":
                advance(actor, application)
            elif action == "accept":
                accept(actor, application, reason)
            elif action == "waitlist":
                waitlist(actor, application, reason)
            else:
                reject(actor, application, reason)
        except (Conflict, InvalidInput) as error:
            refused.append(f"{application.name}: {error.message}")
        else:
            done += 1
    return done, refused


# --- labels and mail ------------------------------------------------------------------


# One message per stage, translated when shown: a label costs one look-up, not eleven.
_STAGES = {
    Stage.SUBMITTED: lazy_gettext("Submitted"),
    Stage.SCREENING: lazy_gettext("Document screening"),
    Stage.ASSESSMENT: lazy_gettext("Basic-skills assessment"),
    Stage.INTERVIEW: lazy_gettext("Interview"),
    Stage.ACCEPTED: lazy_gettext("Accepted"),
    Stage.OFFERED: lazy_gettext("Offered a place"),
    Stage.WAITLISTED: lazy_gettext("Waitlisted"),
    Stage.REJECTED: lazy_gettext("Rejected"),
    Stage.WITHDRAWN: lazy_gettext("Withdrawn"),
    Stage.LAPSED: lazy_gettext("Offer lapsed"),
    Stage.ENROLLED: lazy_gettext("Enrolled"),
}


def stage_label(stage: Stage | str) -> str:
    return str(_STAGES[Stage(stage)])


# What each step of an application is called among the messages (notify/templates.py).
_MESSAGES = {
    "submitted": "application_submitted",
    "already_applied": "application_already_applied",
    "interview": "interview_slot",
    "accepted": "application_accepted",
    "waitlisted": "application_waitlisted",
    "offered": "waitlist_offer",
    "rejected": "application_rejected",
}


def _mail(application: Application, kind: str) -> None:
    """Tell the applicant (notify.send: by the channel applicants get)."""
    cohort = application.cohort
    values: dict[str, Any] = {"cohort": cohort.label, "link": status_link(application)}
    if kind == "already_applied":
        values["date"] = application.consented_at
    elif kind == "interview":
        slot = application.interview_slot
        values.update(when=slot.starts_at, where=slot.location)
    elif kind == "accepted":
        values["date"] = cohort.start_on
    elif kind == "offered":
        values["date"] = application.offer_expires_on
    notify.send(application, _MESSAGES[kind], **values)


# --- retention ----------------------------------------------------------------------------

NOT_SELECTED = (Stage.REJECTED, Stage.WITHDRAWN, Stage.LAPSED)


def purge_expired(today: date | None = None) -> int:
    """Destroy applications not selected once their retention has passed; log it per cohort.

    The purpose of an unselected application ends with the selection; the consent notice
    promises destruction APPLICANT_RETENTION_DAYS after the cohort starts.
    """
    today = today or today_in_seoul()
    cutoff = today - timedelta(days=current_app.config["APPLICANT_RETENTION_DAYS"])
    expired = db.session.execute(
        db.select(Application.id, Application.cohort_id)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(Application.stage.in_(NOT_SELECTED), Cohort.start_on < cutoff)
    ).all()
    by_cohort: dict[int, list[int]] = {}
    for application_id, cohort_id in expired:
        by_cohort.setdefault(cohort_id, []).append(application_id)
    for cohort_id, ids in by_cohort.items():
        cohort = db.session.get(Cohort, cohort_id)
        db.session.execute(
            sa.delete(ApplicationScore).where(ApplicationScore.application_id.in_(ids))
        )
        # Their requests about their data (privacy) go with the data they were about.
        db.session.execute(sa.delete(DataRequest).where(DataRequest.application_id.in_(ids)))
        db.session.execute(sa.delete(Application).where(Application.id.in_(ids)))
        audit.record(
            None,
            "applications.destroyed",
            cohort,
            {"destroyed": len(ids), "application_ids": ids, "retention_cutoff": cutoff},
            label=cohort.label(),
            campus_id=cohort.campus_id,
        )
    return len(expired)
