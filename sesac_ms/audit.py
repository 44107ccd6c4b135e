"""Writing the audit log and the personal-data access log, and reading the access log aloud.

Services write changes (`record`) and single-record access (`record_access`); the route or
service that builds a list of people logs it once with `log_list_access`. `describe` turns
an access-log row back into a sentence for the administrator's page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from flask import has_request_context, request
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db
from .live_labels import cohort_label
from .models import (
    Application,
    AuditEntry,
    CoachingSession,
    Enrollment,
    PersonalDataAccess,
    User,
)
from .models.audit import AccessAction


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def _actor_label(actor: User | None) -> str:
    return f"{actor.name} <{actor.email}>" if actor is not None else "system"


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the given attributes on obj; return {field: [old, new]} for those that changed."""
    changes: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changes


def record(
    actor: User | None,
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    *,
    label: str | None = None,
    campus_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry for obj (flushed so that a new obj has its id)."""
    db.session.flush()
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=_actor_label(actor),
        action=action,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        object_label=(label if label is not None else str(getattr(obj, "name", "")))[:300],
        campus_id=campus_id,
        changes={
            k: [_plain(v) for v in pair] if isinstance(pair, list | tuple) else _plain(pair)
            for k, pair in (changes or {}).items()
        },
        ip_address=_client_address(),
    )
    db.session.add(entry)
    from .webhooks.events import from_audit_entry

    from_audit_entry(entry)  # the webhooks this change calls for, in its transaction
    return entry


# --- the personal-data access log ---------------------------------------------------------


@dataclass(frozen=True)
class AccessPage:
    """A page or file showing personal data, as the access log names it to people."""

    what: Any  # a lazy phrase: "the applicant list of a cohort"
    counts_entries: bool = False  # people_count counts log entries, not people
    detail: Callable[[str], str] | None = None  # the detail column as a sentence


def _fields_changed(detail: str) -> str:
    labels = {
        "name": _l("name"),
        "email": _l("e-mail"),
        "role": _l("role"),
        "campus_id": _l("campus"),
        "active": _l("active"),
    }
    fields = ", ".join(str(labels.get(f.strip(), f.strip())) for f in detail.split(","))
    return gettext("Changed: %(fields)s.", fields=fields)


# Every page key a caller may log, with what the administrator reads for it.
PAGES: dict[str, AccessPage] = {
    # lists of people
    "applications.pipeline": AccessPage(_l("the applicant list of a cohort")),
    "applications.interviews": AccessPage(_l("the interview schedule of a cohort")),
    "cohorts.roster": AccessPage(_l("the roster of a cohort")),
    "cohorts.attendance": AccessPage(_l("the attendance sheet of a class day")),
    "cohorts.deposits": AccessPage(_l("the deposits of a cohort")),
    "sessions.coverage": AccessPage(_l("the 1:1 session coverage of a cohort")),
    "sessions.schedule": AccessPage(_l("their schedule with the trainees they meet")),
    "sessions.slots": AccessPage(_l("their available times with who booked them")),
    "placements.index": AccessPage(_l("the completed trainees and their outcomes")),
    "placements.referrals": AccessPage(_l("the job referrals")),
    "placements.companies": AccessPage(_l("the companies and their contact people")),
    "main.dashboard": AccessPage(_l("their dashboard with the trainees they meet")),
    "main.recent_changes": AccessPage(_l("the recent changes on the dashboard"), True),
    "admin.users": AccessPage(_l("the list of user accounts")),
    "admin.audit": AccessPage(_l("the audit log"), True),
    "admin.outbox": AccessPage(_l("the mail outbox with its recipients")),
    "privacy.requests": AccessPage(_l("the requests about personal data")),
    # one person's record
    "applications.show": AccessPage(_l("an application")),
    "cohorts.trainee": AccessPage(_l("a trainee's attendance and status")),
    "placements.trainee": AccessPage(_l("a trainee's outcome and certifications")),
    "sessions.show": AccessPage(_l("a 1:1 session with its notes")),
    "admin.user": AccessPage(_l("a user account")),
    "privacy.request": AccessPage(_l("a request about personal data")),
    # changes and downloads
    "admin.user_edit": AccessPage(_l("a user account"), detail=_fields_changed),
    "placements.referral": AccessPage(
        _l("a trainee's data for a job referral"),
        detail=lambda company: gettext("Shared with %(company)s.", company=company),
    ),
    "cohorts.roster_export": AccessPage(
        _l("the roster of a cohort"),
        detail=lambda fmt: gettext("File format: %(format)s.", format=fmt),
    ),
    "admin.users_export": AccessPage(_l("the list of user accounts")),
    "admin.access_review": AccessPage(_l("the monthly access review with each user's activity")),
    "admin.access_review_export": AccessPage(
        _l("the monthly access review with each user's activity"),
        detail=lambda fmt: gettext("File format: %(format)s.", format=fmt),
    ),
    # a person downloading their own data (privacy/): subject and actor are the same
    "privacy.my_data": AccessPage(
        _l("their own data"),
        detail=lambda fmt: gettext("File format: %(format)s.", format=fmt),
    ),
    # a program using the JSON API with its owner's personal access token (sesac_ms/api)
    "api": AccessPage(
        _l("the API with a personal access token"),
        detail=lambda request: gettext("Request: %(request)s.", request=request),
    ),
    "privacy.applicant_data": AccessPage(
        _l("their own application"),
        detail=lambda fmt: gettext("File format: %(format)s.", format=fmt),
    ),
}

# Every filter key a list may log, as the administrator reads it.
FILTERS: dict[str, Any] = {
    "search": _l("search"),
    "stage": _l("stage"),
    "eligibility": _l("eligibility"),
    "score": _l("score"),
    "role": _l("role"),
    "campus": _l("campus"),
    "status": _l("status"),
    "cohort": _l("cohort"),
    "day": _l("class day"),
    "month": _l("month"),
    "showing": _l("showing"),
    "action": _l("action"),
    "period": _l("period"),
    "page": _l("page"),
}


def _person_of(subject: Any) -> int | None:
    """The account whose data a record is, so "who looked at this person" finds it."""
    if isinstance(subject, User):
        return subject.id
    if isinstance(subject, Enrollment | Application):
        return subject.user_id
    if isinstance(subject, CoachingSession):
        return subject.trainee_id
    return None


def _check_page(page: str) -> None:
    if page and page not in PAGES:
        raise ValueError(f"unknown access-log page {page!r}: add it to audit.PAGES")


def _shown_filters(filters: Mapping[str, Any] | None) -> dict[str, str]:
    """The filters in use, as shown on the page; empty ones are left out."""
    shown = {}
    for key, value in (filters or {}).items():
        if key not in FILTERS:
            raise ValueError(f"unknown access-log filter {key!r}: add it to audit.FILTERS")
        if value is None or value == "" or value is False:
            continue
        shown[key] = str(_plain(value))[:100]
    return shown


def record_access(
    actor: User | None,
    action: AccessAction,
    subject_label: str,
    *,
    subject: Any = None,
    detail: str = "",
    reason: str | None = None,
    page: str = "",
    person: User | None = None,
    people_count: int | None = None,
    filters: Mapping[str, Any] | None = None,
) -> PersonalDataAccess:
    """Log a view, change or download of someone's personal data.

    `page` names what was looked at (a key of PAGES); the account whose data it was is
    taken from the subject (a user, enrollment, application or 1:1 session) unless given.
    """
    if action == AccessAction.DOWNLOAD and not (reason and reason.strip()):
        raise ValueError("a download of personal data needs a reason")
    _check_page(page)
    entry = PersonalDataAccess(
        actor_id=actor.id if actor else None,
        actor_label=_actor_label(actor),
        action=action,
        subject_type=type(subject).__name__ if subject is not None else "",
        subject_id=getattr(subject, "id", None),
        subject_label=subject_label[:300],
        person_id=person.id if person is not None else _person_of(subject),
        page=page,
        people_count=people_count,
        filters=_shown_filters(filters) or None,
        detail=detail[:300],
        reason=reason.strip() if reason else None,
        ip_address=_client_address(),
    )
    _add_at_commit(entry)
    return entry


_PENDING_ACCESS = "sesac_ms.pending_access"  # Session.info key


def _add_at_commit(entry: PersonalDataAccess) -> None:
    """Add the entry to the session as it commits, not now.

    Why: a page logs what it shows, then builds itself, then commits. Added now, the entry
    would be written by the first query of the build (autoflush), and on SQLite the writer
    holds the database's one write lock from then until the commit: every other request
    that writes would wait for this page to render. Added at commit, it is written with the
    commit, and it still goes (or not) with the transaction: a rollback or a closed session
    drops it.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so a rollback before any query still ends this one, and drops it
    session.info.setdefault(_PENDING_ACCESS, []).append(entry)


@event.listens_for(Session, "before_commit")
def _add_pending_access(session: Session) -> None:
    pending = session.info.pop(_PENDING_ACCESS, None)
    if pending:
        session.add_all(pending)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending_access(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(_PENDING_ACCESS, None)


_LOGGED_LISTS = "sesac_ms.access_logged_lists"  # request.environ key: page -> entry


def log_list_access(
    actor: User,
    page: str,
    filters: Mapping[str, Any] | None,
    count: int,
    *,
    scope: Any = None,
    scope_label: str = "",
) -> PersonalDataAccess:
    """Log that `actor` was shown a list of `count` people on `page`, with these filters.

    `filters` maps FILTERS keys to the values as the page showed them (empty ones are
    dropped); `scope` is the record the list belongs to (a cohort), `scope_label` how it
    reads. One entry per request and page: a second call returns the first entry, so a
    page that builds its list from several services is still logged once. Flushes nothing:
    the route commits after rendering, so the page is built from the rows it loaded.
    """
    logged: dict[str, PersonalDataAccess] = (
        request.environ.setdefault(_LOGGED_LISTS, {}) if has_request_context() else {}
    )
    if page in logged:
        return logged[page]
    if count < 0:
        raise ValueError("a list shows no fewer than 0 people")
    entry = record_access(
        actor,
        AccessAction.VIEW,
        scope_label,
        subject=scope,
        page=page,
        people_count=count,
        filters=filters,
    )
    logged[page] = entry
    return entry


# Why a person's download of their own data is in the access log (a download needs one).
# Stored in Korean, as the log keeps it; reason_text shows it in the reader's language.
SELF_ACCESS_REASON = "정보주체 본인 열람 (개인정보 보호법 제35조)"
_REASONS = {
    SELF_ACCESS_REASON: _l(
        "The person viewing their own data (Personal Information Protection Act, Article 35)"
    )
}


def reason_text(reason: str | None) -> str:
    """An access-log entry's reason as a page shows it: what staff typed as it is, the
    reason the application writes itself in the reader's language."""
    if not reason:
        return ""
    known = _REASONS.get(reason)
    return str(known) if known is not None else reason


def describe(entry: PersonalDataAccess) -> str:
    """One access-log row as sentences: what was done to what, how many, with which filters."""
    page = PAGES.get(entry.page)
    what = str(page.what) if page else gettext("personal data")
    whose = entry.subject_label
    if entry.subject_type == "Cohort":
        whose = cohort_label(entry.subject_id, whose)
    if entry.action == AccessAction.DOWNLOAD:
        first = (
            gettext("Downloaded %(what)s: %(whose)s.", what=what, whose=whose)
            if whose
            else gettext("Downloaded %(what)s.", what=what)
        )
    elif entry.action == AccessAction.CHANGE:
        first = (
            gettext("Changed %(what)s: %(whose)s.", what=what, whose=whose)
            if whose
            else gettext("Changed %(what)s.", what=what)
        )
    else:
        first = (
            gettext("Viewed %(what)s: %(whose)s.", what=what, whose=whose)
            if whose
            else gettext("Viewed %(what)s.", what=what)
        )
    sentences = [first]
    if entry.people_count is not None:
        n = entry.people_count
        sentences.append(
            ngettext("%(num)d entry shown.", "%(num)d entries shown.", n)
            if page and page.counts_entries
            else ngettext("%(num)d person shown.", "%(num)d people shown.", n)
        )
    if entry.filters:
        shown = ", ".join(
            gettext("%(filter)s “%(value)s”", filter=FILTERS.get(key, key), value=value)
            for key, value in entry.filters.items()
        )
        sentences.append(gettext("Filters: %(filters)s.", filters=shown))
    if entry.detail:
        sentences.append(page.detail(entry.detail) if page and page.detail else entry.detail)
    return " ".join(sentences)
