"""Everything the academy holds about one person, gathered for them to read and download (열람).

A trainee's export is built from their account; an applicant's from the one application their
private status link opens. Each part is read with one query for the whole person (per table,
never per row), so the export costs the same number of statements for a trainee of one
month and one of three years.

What goes in, and what is kept out, is decided here table by table:
- `COVERED` names every table that holds rows about a person and where the export puts them;
- `WITHHELD` names the tables that refer to a person but are not theirs to download, and why.
tests/test_my_data.py walks the schema: a table that refers to users, applications or
enrollments (directly, or through a table that does) and is in neither list fails it, so a
new table with a person's id is either exported or excluded on purpose.

Inside covered tables, some columns are kept out too (listed in `withheld_notes`, which the
export itself carries, so the person reads what was left out and why): evaluators' comments
and names on application scores, staff-only notes of 1:1 sessions, coordinators' notes on job
referrals, and every secret (password hash, calendar-feed and status-link tokens, second
factors' keys). The rows are built from explicit field lists, never by dumping a row.
Health data (an illness exclusion) is the person's own and is included, marked as such; it
is read through the model's attributes, so data stored encrypted is read decrypted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import get_locale, gettext

from ..clock import today_in_seoul
from ..extensions import db
from ..models import (
    ApiToken,
    Application,
    ApplicationScore,
    Attendance,
    AttendanceNudge,
    CertificationAttempt,
    ClassDay,
    CoachingSession,
    DataRequest,
    Enrollment,
    FollowUp,
    Outcome,
    Passkey,
    Referral,
    RetentionCheck,
    RetentionReminder,
    TotpCredential,
    User,
)
from ..models.outcomes import ExclusionReason
from ..models.types import utcnow

FORMAT = "sesac-ms/my-data/1"

# The tables whose ids identify a person: every table referring to one of these (directly, or
# through a table that does) holds data about someone.
PERSON_TABLES = ("users", "applications", "enrollments")


class Covered(NamedTuple):
    path: str  # where the rows are in the export, as dotted keys ("outcomes.retention_checks")
    via: str  # how the person's rows are found


COVERED: dict[str, Covered] = {
    "users": Covered("person", "the account itself"),
    "applications": Covered(
        "applications", "applications.user_id, or enrollments.application_id of the person"
    ),
    "application_scores": Covered(
        "applications.scores", "application_scores.application_id → applications (stage, score)"
    ),
    "interview_slots": Covered(
        "applications.interview", "applications.interview_slot_id: the slot the person booked"
    ),
    "enrollments": Covered("enrollments", "enrollments.user_id"),
    "attendance": Covered("enrollments.attendance", "attendance.enrollment_id → enrollments"),
    "attendance_nudges": Covered(
        "enrollments.attendance_nudges", "attendance_nudges.enrollment_id → enrollments"
    ),
    "coaching_sessions": Covered("sessions", "coaching_sessions.trainee_id"),
    "follow_ups": Covered(
        "sessions.follow_ups", "follow_ups.session_id → coaching_sessions.trainee_id"
    ),
    "outcomes": Covered("outcomes", "outcomes.enrollment_id → enrollments"),
    "retention_checks": Covered(
        "outcomes.retention_checks", "retention_checks.outcome_id → outcomes → enrollments"
    ),
    "retention_reminders": Covered(
        "outcomes.retention_reminders", "retention_reminders.outcome_id → outcomes → enrollments"
    ),
    "referrals": Covered("referrals", "referrals.enrollment_id → enrollments"),
    "certification_attempts": Covered("certifications", "certification_attempts.user_id"),
    "data_requests": Covered(
        "requests", "data_requests.user_id, or data_requests.application_id → applications"
    ),
    "totp_credentials": Covered(
        "second_factor.authenticator_app", "totp_credentials.user_id: the dates, not the secret"
    ),
    "passkeys": Covered("second_factor.passkeys", "passkeys.user_id: names and dates, not keys"),
    "api_tokens": Covered("api_tokens", "api_tokens.user_id: names, access and dates, not secrets"),
}

WITHHELD: dict[str, str] = {
    # Records of what people did, kept to protect the data itself (안전성 확보조치 기준
    # 제8조): about the person, but the academy's safeguard, not their data. Who looked at a
    # person's record can be asked for with an access request.
    "audit_entries": "the audit log of changes: a tamper-evident safeguard record",
    "personal_data_access": "the personal-data access log: a safeguard record",
    "access_reviews": "an administrator's monthly review of the access log (staff work)",
    # Secrets, kept only as hashes or encrypted: handing them out would weaken the account.
    "password_tokens": "one-time password links (hashes of secrets)",
    "recovery_codes": "second-factor recovery codes (hashes of secrets)",
    # Staff's own working records: they name a staff member, never a trainee or applicant.
    "availability_slots": "staff's offered times; a booked time is exported as the session",
    "cohort_staff": "staff assigned to a cohort",
    "uploaded_files": "spreadsheets staff uploaded for an import; imported rows are exported",
    "webhook_subscriptions": "a campus's webhooks, which name the staff member who added one",
    "webhook_deliveries": "events sent to a campus's webhooks: ids and changed fields",
}


# --- building the export ---------------------------------------------------------------------


def _cohort(cohort: Any, locale: str) -> dict[str, Any]:
    return {"id": cohort.id, "label": cohort.label(locale)}


def _application(
    application: Application, scores: list[dict[str, Any]], locale: str
) -> dict[str, Any]:
    slot = application.interview_slot
    return {
        "id": application.id,
        "cohort": _cohort(application.cohort, locale),
        "name": application.name,
        "email": application.email,
        "phone": application.phone,
        "birth_date": application.birth_date,
        "district": application.district,
        "seoul_university": application.seoul_university,
        "employment_status": application.employment_status,
        "education": application.education,
        "motivation": application.motivation,
        "portfolio_url": application.portfolio_url,
        "source": application.source,
        "submitted_at": application.submitted_at,
        "updated_at": application.updated_at,
        "consent_version": application.consent_version,
        "consented_at": application.consented_at,
        "stage": application.stage,
        "eligible": application.eligible,
        "eligibility_flags": list(application.eligibility_flags or []),
        "waitlist_rank": application.waitlist_rank,
        "decided_at": application.decided_at,
        "decision_reason": application.decision_reason,
        "offer_expires_on": application.offer_expires_on,
        "interview": (
            {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "location": slot.location}
            if slot is not None
            else None
        ),
        # Each evaluator's score for a stage, without the evaluator's name or comment.
        "scores": scores,
        "locale": application.locale,
    }


def _scores(application_ids: sa.Select) -> dict[int, list[dict[str, Any]]]:
    """Scores by application: the columns a person may see, the comment never read at all."""
    rows = db.session.execute(
        sa.select(
            ApplicationScore.application_id,
            ApplicationScore.stage,
            ApplicationScore.score,
            ApplicationScore.created_at,
            ApplicationScore.updated_at,
        )
        .where(ApplicationScore.application_id.in_(application_ids))
        .order_by(ApplicationScore.application_id, ApplicationScore.created_at)
    )
    return _grouped(
        rows,
        lambda row: row.application_id,
        lambda row: {
            "stage": row.stage,
            "score": row.score,
            "scored_at": row.created_at,
            "updated_at": row.updated_at,
        },
    )


def _grouped(
    rows: Iterable[Any], key: Callable[[Any], int], shown: Callable[[Any], dict[str, Any]]
) -> dict[int, list[dict[str, Any]]]:
    """Rows as they are shown, in their order, in a list per key (a trainee's enrollment,
    session, outcome…): one query per kind of record, not one per record."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(shown(row))
    return grouped


def _requests(condition: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(DataRequest).where(condition).order_by(DataRequest.created_at)
    )
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "text": r.text,
            "created_at": r.created_at,
            "due_on": r.due_on,
            "status": r.status,
            "resolved_at": r.resolved_at,
            "resolution": r.resolution,
        }
        for r in rows
    ]


def _application_consent(application: Application, locale: str) -> dict[str, Any]:
    return {
        "kind": "application",
        "about": application.cohort.label(locale),
        "notice_version": application.consent_version,
        "given_at": application.consented_at,
    }


def application_consents(application: Application) -> list[dict[str, Any]]:
    """The consent an applicant gave with their application, for their page."""
    return [_application_consent(application, str(get_locale()))]


def withheld_notes() -> list[dict[str, str]]:
    """What the export leaves out and why, in the reader's language."""
    return [
        {
            "what": gettext("Evaluators' names and comments on application scores"),
            "why": gettext(
                "They are the evaluators' working notes for the selection; the law lets the "
                "academy keep them back where showing them would hinder fair selection."
            ),
        },
        {
            "what": gettext(
                "Staff-only notes of 1:1 sessions and coordinators' notes on job referrals"
            ),
            "why": gettext(
                "They are the staff's working notes. The session summaries written for you "
                "are included."
            ),
        },
        {
            "what": gettext("Passwords, second-factor keys, recovery codes and private links"),
            "why": gettext(
                "They are secrets kept only in scrambled form; handing them out would "
                "weaken your account."
            ),
        },
        {
            "what": gettext("The audit log and the personal-data access log"),
            "why": gettext(
                "They record what staff did, to protect your data. To learn who viewed your "
                "records, send a request for access."
            ),
        },
    ]


def _enrollment_ids(user: User) -> sa.Select:
    return sa.select(Enrollment.id).where(Enrollment.user_id == user.id)


def _application_ids(user: User) -> sa.Select:
    """The person's applications: linked to the account, or the one an enrollment came from."""
    return sa.select(Application.id).where(
        sa.or_(
            Application.user_id == user.id,
            Application.id.in_(
                sa.select(Enrollment.application_id).where(
                    Enrollment.user_id == user.id, Enrollment.application_id.is_not(None)
                )
            ),
        )
    )


def _referral_consent(referral: Referral) -> dict[str, Any]:
    return {
        "kind": "referral",
        "about": referral.company.name,
        "notice_version": None,
        "given_at": referral.sharing_consent_at,
    }


def _health_consent(outcome: Outcome) -> dict[str, Any]:
    return {
        "kind": "health",
        "about": gettext("Illness exclusion from the employment target"),
        "notice_version": None,
        "given_at": outcome.health_consent_at,
    }


def _sorted_consents(consents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(consents, key=lambda c: c["given_at"])


def consents_of(user: User) -> list[dict[str, Any]]:
    """The consents a trainee gave, oldest first, for their page: three queries."""
    locale = str(get_locale())
    applications = db.session.scalars(
        sa.select(Application).where(Application.id.in_(_application_ids(user)))
    )
    referrals = db.session.scalars(
        sa.select(Referral).where(Referral.enrollment_id.in_(_enrollment_ids(user)))
    )
    # Whole rows, filtered here: health data is read through the model (it may be stored
    # encrypted), never compared in SQL.
    outcomes = db.session.scalars(
        sa.select(Outcome).where(Outcome.enrollment_id.in_(_enrollment_ids(user)))
    )
    return _sorted_consents(
        [_application_consent(a, locale) for a in applications]
        + [_referral_consent(r) for r in referrals]
        + [_health_consent(o) for o in outcomes if o.health_consent_at is not None]
    )


def person_export(user: User) -> dict[str, Any]:
    """Everything held about a trainee's account, in a fixed number of queries."""
    locale = str(get_locale())
    enrollment_ids = _enrollment_ids(user)
    application_ids = _application_ids(user)
    outcome_ids = sa.select(Outcome.id).where(Outcome.enrollment_id.in_(enrollment_ids))

    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.id.in_(application_ids))
        .order_by(Application.submitted_at)
    ).all()
    scores = _scores(application_ids)
    enrollments = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.enrolled_at)
    ).all()
    attendance = _grouped(
        db.session.execute(
            sa.select(Attendance, ClassDay.day)
            .join(ClassDay, Attendance.class_day_id == ClassDay.id)
            .where(Attendance.enrollment_id.in_(enrollment_ids))
            .order_by(ClassDay.day)
        ),
        lambda row: row.Attendance.enrollment_id,
        lambda row: {
            "day": row.day,
            "status": row.Attendance.status,
            "arrived_at": row.Attendance.arrived_at,
            "left_at": row.Attendance.left_at,
            "minutes_late": row.Attendance.minutes_late,
            "minutes_left_early": row.Attendance.minutes_left_early,
            "source": row.Attendance.source,
            "note": row.Attendance.note,
            "recorded_at": row.Attendance.recorded_at,
        },
    )
    nudges = _grouped(
        db.session.scalars(
            sa.select(AttendanceNudge)
            .where(AttendanceNudge.enrollment_id.in_(enrollment_ids))
            .order_by(AttendanceNudge.sent_at)
        ),
        lambda nudge: nudge.enrollment_id,
        lambda nudge: {"absences_left": nudge.threshold, "sent_at": nudge.sent_at},
    )

    sessions = db.session.scalars(
        sa.select(CoachingSession)
        .where(CoachingSession.trainee_id == user.id)
        .order_by(CoachingSession.starts_at)
    ).all()
    follow_ups = _grouped(
        db.session.scalars(
            sa.select(FollowUp)
            .join(CoachingSession, FollowUp.session_id == CoachingSession.id)
            .where(CoachingSession.trainee_id == user.id)
            .order_by(FollowUp.id)
        ),
        lambda item: item.session_id,
        lambda item: {"text": item.text, "due_on": item.due_on, "done_at": item.done_at},
    )

    outcomes = db.session.scalars(
        sa.select(Outcome)
        .where(Outcome.enrollment_id.in_(enrollment_ids))
        .order_by(Outcome.created_at)
    ).all()
    checks = _grouped(
        db.session.scalars(
            sa.select(RetentionCheck)
            .where(RetentionCheck.outcome_id.in_(outcome_ids))
            .order_by(RetentionCheck.months)
        ),
        lambda check: check.outcome_id,
        lambda check: {
            "months": check.months,
            "checked_on": check.checked_on,
            "result": check.result,
            "note": check.note,
        },
    )
    reminders = _grouped(
        db.session.scalars(
            sa.select(RetentionReminder)
            .where(RetentionReminder.outcome_id.in_(outcome_ids))
            .order_by(RetentionReminder.months)
        ),
        lambda reminder: reminder.outcome_id,
        lambda reminder: {"months": reminder.months, "sent_at": reminder.sent_at},
    )
    referrals = db.session.scalars(
        sa.select(Referral)
        .where(Referral.enrollment_id.in_(enrollment_ids))
        .order_by(Referral.created_at)
    ).all()
    certifications = db.session.scalars(
        sa.select(CertificationAttempt)
        .where(CertificationAttempt.user_id == user.id)
        .order_by(CertificationAttempt.exam_on)
    ).all()
    requests = _requests(
        sa.or_(DataRequest.user_id == user.id, DataRequest.application_id.in_(application_ids))
    )
    totp = db.session.execute(
        sa.select(TotpCredential.created_at, TotpCredential.confirmed_at).where(
            TotpCredential.user_id == user.id
        )
    ).first()
    passkeys = db.session.execute(
        sa.select(Passkey.name, Passkey.created_at, Passkey.last_used_at)
        .where(Passkey.user_id == user.id)
        .order_by(Passkey.created_at)
    ).all()
    api_tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    ).all()

    consents = _sorted_consents(
        [_application_consent(a, locale) for a in applications]
        + [_referral_consent(r) for r in referrals]
        + [_health_consent(o) for o in outcomes if o.health_consent_at is not None]
    )

    return {
        "format": FORMAT,
        "generated_at": utcnow(),
        "generated_on": today_in_seoul(),
        "person": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "phone": user.phone,
            "role": user.role,
            "campus": user.campus.display_name(locale) if user.campus else None,
            "active": user.active,
            "locale": user.locale,
            "notify_channel": user.notify_channel,
            "essential_messages_only": user.notify_opt_out,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
            "password_changed_at": user.password_changed_at,
            "calendar_feed": user.feed_token_hash is not None,
        },
        "second_factor": {
            "authenticator_app": (
                [{"added_at": totp.created_at, "confirmed_at": totp.confirmed_at}] if totp else []
            ),
            "passkeys": [
                {"name": name, "added_at": added, "last_used_at": used}
                for name, added, used in passkeys
            ],
        },
        "api_tokens": [
            {
                "name": token.name,
                "can_change": token.can_write,
                "resources": token.resource_names,
                "made_at": token.created_at,
                "expires_at": token.expires_at,
                "last_used_at": token.last_used_at,
                "revoked_at": token.revoked_at,
            }
            for token in api_tokens
        ],
        "consents": consents,
        "applications": [_application(a, scores.get(a.id, []), locale) for a in applications],
        "enrollments": [
            {
                "id": e.id,
                "cohort": _cohort(e.cohort, locale),
                "starts_on": e.cohort.start_on,
                "ends_on": e.cohort.end_on,
                "status": e.status,
                "enrolled_at": e.enrolled_at,
                "status_on": e.status_on,
                "drop_reason": e.drop_reason,
                "status_note": e.status_note,
                "deposit_status": e.deposit_status,
                "deposit_paid_on": e.deposit_paid_on,
                "deposit_settled_on": e.deposit_settled_on,
                "attendance": attendance.get(e.id, []),
                "attendance_nudges": nudges.get(e.id, []),
            }
            for e in enrollments
        ],
        "sessions": [
            {
                "id": s.id,
                "cohort": _cohort(s.cohort, locale),
                "kind": s.kind,
                "status": s.status,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "location": s.location,
                "with": s.staff.name,
                "summary": s.summary,  # written for the trainee; staff_notes never read here
                "links": s.links,
                "cancel_reason": s.cancel_reason,
                "follow_ups": follow_ups.get(s.id, []),
            }
            for s in sessions
        ],
        "outcomes": [
            {
                "id": o.id,
                "cohort": _cohort(o.enrollment.cohort, locale),
                "current": o.is_current,
                "kind": o.kind,
                "outcome_on": o.outcome_on,
                "company": o.company,
                "job_title": o.job_title,
                "industry": o.industry,
                "employment_type": o.employment_type,
                "insured": o.insured,
                "salary_band": o.salary_band,
                "exclusion_reason": o.exclusion_reason,
                # Health data (질병): the person's own, marked so they know it is sensitive.
                "health_data": o.exclusion_reason == ExclusionReason.ILLNESS,
                "health_consent_at": o.health_consent_at,
                "evidence": o.evidence,
                "verification": o.verification,
                "verification_state": o.verification_state,
                "recorded_at": o.created_at,
                "retention_checks": checks.get(o.id, []),
                "retention_reminders": reminders.get(o.id, []),
            }
            for o in outcomes
        ],
        "referrals": [
            {
                "id": r.id,
                "company": r.company.name,
                "position": r.position,
                "status": r.status,
                "sharing_consent_at": r.sharing_consent_at,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in referrals
        ],
        "certifications": [
            {
                "exam": c.exam.name,
                "exam_on": c.exam_on,
                "passed": c.passed,
                "score": c.score,
                "recorded_at": c.created_at,
            }
            for c in certifications
        ],
        "requests": requests,
        "withheld": withheld_notes(),
    }


def applicant_export(application: Application) -> dict[str, Any]:
    """What the academy holds about the applicant of one application (their status link)."""
    locale = str(get_locale())
    scores = _scores(sa.select(Application.id).where(Application.id == application.id))
    return {
        "format": FORMAT,
        "generated_at": utcnow(),
        "generated_on": today_in_seoul(),
        "consents": [_application_consent(application, locale)],
        "applications": [_application(application, scores.get(application.id, []), locale)],
        "requests": _requests(DataRequest.application_id == application.id),
        "withheld": withheld_notes()[:1],
    }


# --- as a file ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


def as_json(export: dict[str, Any]) -> str:
    return json.dumps(export, default=_plain, ensure_ascii=False, indent=2)


def filename(export: dict[str, Any], extension: str) -> str:
    return f"my-data-{export['generated_on'].isoformat()}.{extension}"
