"""Audit entries as sentences people read: who did what to which record, and what changed.

`describe_entry` turns one AuditEntry into a headline ("Kim Manager moved the application of
Data Kim on to the next stage.") and one sentence per changed field, with field and value
labels in the reader's language. No action code, class name or placeholder reaches a page:
an action missing from ACTIONS still reads as a plain sentence (tests/test_audit_text.py
checks every action the code writes has its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import get_day_names
from flask import g
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    get_domain,
    get_locale,
    gettext,
    ngettext,
)
from flask_babel import lazy_gettext as _l

from .extensions import db
from .live_labels import cohort_label, with_cohort_labels_localised
from .models import AuditEntry, Campus

# --- what was done ------------------------------------------------------------------------

# Every action code written by audit.record, as a sentence about %(actor)s and %(subject)s.
ACTIONS: dict[str, Any] = {
    # applications
    "application.submitted": _l("%(actor)s submitted %(subject)s."),
    "application.stage_changed": _l("%(actor)s moved %(subject)s on to the next stage."),
    "application.accepted": _l("%(actor)s accepted %(subject)s."),
    "application.waitlisted": _l("%(actor)s put %(subject)s on the waitlist."),
    "application.rejected": _l("%(actor)s rejected %(subject)s."),
    "application.waitlist_moved": _l("%(actor)s moved %(subject)s on the waitlist."),
    "application.withdrawn": _l("%(actor)s withdrew %(subject)s."),
    "application.offered": _l("%(subject)s was offered a freed place."),
    "application.offer_accepted": _l("%(actor)s took the offered place for %(subject)s."),
    "application.offer_lapsed": _l("The offer made to %(subject)s lapsed unanswered."),
    "application.scored": _l("%(actor)s scored %(subject)s."),
    "application.interview_assigned": _l("%(actor)s set an interview time for %(subject)s."),
    "application.enrolled": _l("%(actor)s confirmed the enrolment for %(subject)s."),
    "applications.imported": _l("%(actor)s imported applications from %(subject)s."),
    "applications.destroyed": _l(
        "%(actor)s deleted the expired applications of %(subject)s, as the retention rule asks."
    ),
    "interview_slot.created": _l("%(actor)s added %(subject)s."),
    "interview_slot.deleted": _l("%(actor)s removed %(subject)s."),
    # accounts and campuses
    "user.created": _l("%(actor)s created %(subject)s."),
    "user.updated": _l("%(actor)s changed %(subject)s."),
    "user.activated": _l("%(actor)s reactivated %(subject)s."),
    "user.deactivated": _l("%(actor)s deactivated %(subject)s."),
    "user.locked": _l("Log-in to %(subject)s was paused after repeated wrong passwords."),
    "user.password_set": _l("%(actor)s set the password of %(subject)s."),
    "user.password_changed": _l("%(actor)s changed the password of %(subject)s."),
    "user.totp_enabled": _l("%(actor)s turned on an authenticator app for %(subject)s."),
    "user.totp_removed": _l("%(actor)s removed the authenticator app of %(subject)s."),
    "user.passkey_added": _l("%(actor)s added a passkey to %(subject)s."),
    "user.passkey_removed": _l("%(actor)s removed a passkey of %(subject)s."),
    "user.api_token_made": _l("%(actor)s made an API token for %(subject)s."),
    "webhook.created": _l("%(actor)s added %(subject)s."),
    "webhook.paused": _l("%(actor)s paused %(subject)s."),
    "webhook.resumed": _l("%(actor)s resumed %(subject)s."),
    "webhook.deleted": _l("%(actor)s deleted %(subject)s."),
    "user.api_token_revoked": _l("%(actor)s revoked an API token of %(subject)s."),
    "user.recovery_codes_made": _l("%(actor)s made new recovery codes for %(subject)s."),
    "user.recovery_code_used": _l("%(actor)s logged in to %(subject)s with a recovery code."),
    "user.second_factor_reset": _l("%(actor)s reset the second factor of %(subject)s."),
    "user.feed_link_created": _l("%(actor)s created a calendar feed link for %(subject)s."),
    "user.feed_link_revoked": _l("%(actor)s revoked the calendar feed link of %(subject)s."),
    "user.login_failed": _l("A log-in to %(subject)s failed: a wrong password or code."),
    "user.login_failed_unknown": _l("A log-in with an address that has no account failed."),
    "access_review.recorded": _l("%(actor)s recorded %(subject)s as done."),
    "campus.created": _l("%(actor)s created %(subject)s."),
    "campus.updated": _l("%(actor)s changed %(subject)s."),
    # courses, cohorts and their calendars
    "course.created": _l("%(actor)s created %(subject)s."),
    "course.updated": _l("%(actor)s changed %(subject)s."),
    "cohort.created": _l("%(actor)s created %(subject)s."),
    "cohort.updated": _l("%(actor)s changed the dates or capacity of %(subject)s."),
    "cohort.status_changed": _l("%(actor)s moved %(subject)s on to its next phase."),
    "cohort.staff_assigned": _l("%(actor)s assigned staff to %(subject)s."),
    "cohort.staff_removed": _l("%(actor)s removed staff from %(subject)s."),
    "cohort.roster_rules": _l("%(actor)s changed the class rules of %(subject)s."),
    "cohort.selection_settings": _l("%(actor)s changed the selection settings of %(subject)s."),
    "calendar.generated": _l("%(actor)s generated the class days of %(subject)s."),
    "calendar.day_added": _l("%(actor)s added a class day to %(subject)s."),
    "calendar.day_cancelled": _l("%(actor)s cancelled a class day of %(subject)s."),
    "calendar.event_created": _l("%(actor)s added %(subject)s."),
    "calendar.event_deleted": _l("%(actor)s removed %(subject)s."),
    # the roster
    "attendance.recorded": _l("%(actor)s recorded attendance for %(subject)s."),
    "attendance.imported": _l("%(actor)s imported attendance for %(subject)s from a file."),
    "attendance.checked_in": _l("%(actor)s checked in for %(subject)s."),
    "attendance.checked_out": _l("%(actor)s checked out of %(subject)s."),
    "roster.enrolled": _l("%(actor)s put %(subject)s on the roster."),
    "roster.status_changed": _l("%(actor)s changed the training status of %(subject)s."),
    "roster.deposit": _l("%(actor)s recorded the deposit of %(subject)s."),
    # 1:1 sessions
    "sessions.slots_published": _l("%(actor)s published available times for 1:1 sessions."),
    "session.booked": _l("%(actor)s booked %(subject)s."),
    "session.scheduled": _l("%(actor)s scheduled %(subject)s."),
    "session.rescheduled": _l("%(actor)s moved %(subject)s to another time."),
    "session.cancelled": _l("%(actor)s cancelled %(subject)s."),
    "session.marked": _l("%(actor)s marked how %(subject)s went."),
    "session.logged": _l("%(actor)s wrote the record of %(subject)s."),
    "session.follow_up_done": _l("%(actor)s completed a follow-up of %(subject)s."),
    # outcomes and placements
    "outcome.recorded": _l("%(actor)s recorded %(subject)s."),
    "outcome.verified": _l("%(actor)s changed the verification of %(subject)s."),
    "outcome.retention": _l("%(actor)s recorded a retention check of %(subject)s."),
    "company.created": _l("%(actor)s added %(subject)s."),
    "referral.created": _l("%(actor)s made %(subject)s."),
    "referral.updated": _l("%(actor)s moved %(subject)s on."),
    "certification.recorded": _l("%(actor)s recorded %(subject)s."),
    "placements.records_imported": _l("%(actor)s imported training records from %(subject)s."),
    "placements.certifications_imported": _l(
        "%(actor)s imported certification results from %(subject)s."
    ),
    # requests about personal data (privacy/)
    "datarequest.created": _l("%(actor)s sent %(subject)s."),
    "datarequest.resolved": _l("%(actor)s answered %(subject)s."),
    # retention (sesac_ms/retention): the daily job, with its counts per category
    "retention.run": _l("%(actor)s destroyed the personal data past its retention period."),
}

# Who acted when no user did: the applicant themself, or the system (a scheduled job).
APPLICANT_ACTIONS = frozenset(
    {"application.submitted", "application.withdrawn", "application.offer_accepted"}
)

# What the record is, from its kind and its stored label (a name, a cohort, a file).
SUBJECTS: dict[str, Any] = {
    "Application": _l("the application of %(label)s"),
    "AccessReview": _l("the access review of %(label)s"),
    "AuditEntry": _l("%(label)s"),
    "Campus": _l("campus %(label)s"),
    "CertificationAttempt": _l("a certification exam of %(label)s"),
    "Cohort": _l("cohort %(label)s"),
    "CohortEvent": _l("an event of cohort %(label)s"),
    "Company": _l("company %(label)s"),
    "Course": _l("course %(label)s"),
    "DataRequest": _l("a request about personal data from %(label)s"),
    "Enrollment": _l("trainee %(label)s"),
    "InterviewSlot": _l("an interview time of cohort %(label)s"),
    "Outcome": _l("the outcome of %(label)s"),
    "Referral": _l("a job referral of %(label)s"),
    "UploadedFile": _l("the file %(label)s"),
    "User": _l("the account %(label)s"),
    "WebhookSubscription": _l("the webhook to %(label)s"),
}

# --- what changed -------------------------------------------------------------------------

FIELDS: dict[str, Any] = {
    "accounts": _l("Accounts created"),
    "access_records": _l("Log entries deleted"),
    "active": _l("Active"),
    "added": _l("Class days added"),
    "applicants": _l("Unselected applications deleted"),
    "ai_specialised": _l("AI-specialised campus"),
    "campus_id": _l("Campus"),
    "campuses": _l("Campuses created"),
    "cancel_reason": _l("Reason for cancelling"),
    "capacity": _l("Capacity"),
    "class_ends_at": _l("Class ends at"),
    "class_starts_at": _l("Class starts at"),
    "class_weekdays": _l("Class weekdays"),
    "cohorts": _l("Cohorts created"),
    "comment": _l("Comment"),
    "company": _l("Company"),
    "completion_threshold": _l("Attendance needed to complete (%)"),
    "courses": _l("Courses created"),
    "created": _l("Rows added"),
    "day": _l("Class day"),
    "deposit_amount": _l("Deposit (KRW)"),
    "deposit_paid_on": _l("Deposit paid on"),
    "deposit_settled_on": _l("Deposit settled on"),
    "deposit_status": _l("Deposit"),
    "description": _l("Description"),
    "destroyed": _l("Applications deleted"),
    "district": _l("District"),
    "drop_reason": _l("Reason for dropping out"),
    "email": _l("E-mail"),
    "employment_type": _l("Employment type"),
    "end_on": _l("Training ends on"),
    "ends_at": _l("Ends at"),
    "exam": _l("Exam"),
    "exclusion_reason": _l("Reason for exclusion"),
    "file": _l("File"),
    "first": _l("First time"),
    "follow_up": _l("Follow-up"),
    "follow_ups": _l("Follow-ups"),
    "industry": _l("Industry"),
    "insured": _l("Employment insurance"),
    "interview": _l("Interview time"),
    "interviewer": _l("Interviewer"),
    "job_title": _l("Job title"),
    "kind": _l("Kind"),
    "lates_per_absence": _l("Lates that count as one absence"),
    "grace_minutes": _l("Grace minutes"),
    "links": _l("Links"),
    "location": _l("Place"),
    "locked_until": _l("Log-in paused until"),
    "authenticator": _l("Authenticator app"),
    "passkey": _l("Passkey"),
    "url": _l("Address to send to"),
    "events": _l("Webhook events"),
    "api_token": _l("API token"),
    "passkeys": _l("Passkeys"),
    "phone": _l("Mobile phone"),
    "max_age": _l("Highest age"),
    "month": _l("Month"),
    "min_age": _l("Lowest age"),
    "months": _l("Check"),
    "name": _l("Name"),
    "name_en": _l("Name in English"),
    "name_ko": _l("Name in Korean"),
    "note": _l("Note"),
    "number": _l("Cohort number"),
    "offer_days": _l("Days to take an offered place"),
    "offer_expires_on": _l("Offer open until"),
    "opening_order": _l("Opening order"),
    "outbox_messages": _l("Messages deleted"),
    "outcome_on": _l("Outcome date"),
    "partner_company": _l("Partner company"),
    "passed": _l("Passed"),
    "position": _l("Position"),
    "reason": _l("Reason"),
    "recruit_end_on": _l("Recruiting closes on"),
    "recruit_start_on": _l("Recruiting opens on"),
    "removed": _l("Class days removed"),
    "require_seoul": _l("Seoul residents or students only"),
    "require_unemployed": _l("Not employed only"),
    "resolution": _l("Answer"),
    "result": _l("Result"),
    "retention_cutoff": _l("Kept until"),
    "role": _l("Role"),
    "score": _l("Score"),
    "session_notes": _l("Staff notes of 1:1 sessions blanked"),
    "session_cancel_cutoff_hours": _l("Cancelling allowed until (hours before)"),
    "skipped": _l("Rows skipped"),
    "source": _l("How it was entered"),
    "staff": _l("Staff"),
    "stage": _l("Stage"),
    "start_on": _l("Training starts on"),
    "starts_at": _l("Time"),
    "status": _l("Status"),
    "status_note": _l("Note on the status"),
    "status_on": _l("Status date"),
    "summary": _l("Summary"),
    "text": _l("Request"),
    "title": _l("Title"),
    "title_en": _l("English title"),
    "track": _l("Track"),
    "trainee": _l("Trainee"),
    "trainees": _l("Trainees anonymised"),
    "unchanged": _l("Rows unchanged"),
    "updated": _l("Rows updated"),
    "uploaded_files": _l("Uploaded files deleted"),
    "user": _l("Account"),
    "uses_assessment": _l("Basic-skills assessment used"),
    "uses_interview": _l("Interview used"),
    "uses_screening": _l("Document screening used"),
    "verification": _l("Verified by"),
    "verification_state": _l("Verification"),
    "waitlist_rank": _l("Waitlist rank"),
    "weeks": _l("Weeks"),
}

# Stored for the record but of no use to a reader (ids of rows that no longer exist).
HIDDEN_FIELDS = frozenset({"application_ids", "slot_id"})

# How a record came in (Application.source, Outcome.source, an import's entries).
SOURCES: dict[str, Any] = {
    "web": _l("In the app"),
    "import": _l("From a file import"),
}

_ACTOR = re.compile(r"^(?P<name>.*?)\s*<[^<>]*>$")
_STAFF = re.compile(r"^(?P<who>.*) \((?P<role>[a-z_]+)\)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_TIME = re.compile(r"^(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$")


@dataclass
class Described:
    """One audit entry as read on a page: a headline sentence and one sentence per change."""

    headline: str
    details: list[str] = field(default_factory=list)
    actor: str = ""  # who acted, as the headline names them

    def __str__(self) -> str:
        return " ".join([self.headline, *self.details])


def source_label(source: str | None) -> str:
    """Where a record came from ("web", "import") as people say it."""
    return str(SOURCES.get(source or "", SOURCES["web"]))


def describe_entry(entry: AuditEntry, subject: str | None = None) -> Described:
    """The entry as sentences; `subject` names the record when the page is about it already."""
    return EntryReader().describe(entry, subject)


def actor_name(entry: AuditEntry) -> str:
    """Who acted: the name from the stored "name <e-mail>", the applicant, or the system."""
    return EntryReader().actor(entry)


def subject_phrase(entry: AuditEntry) -> str:
    return EntryReader().subject(entry)


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if sentence[:1].islower() else sentence


class EntryReader:
    """Reads the entries of one page: each message, label and value is looked up once.

    Build one per page (`audit_entry=EntryReader().describe` in the template's context):
    a log page of 50 entries repeats the same few actions, fields, people and values, and
    looking each up again through Flask-Babel cost more than the rest of the page.
    """

    def __init__(self, version: int | None = None) -> None:
        # With the figures' version (reports.figures_cache), each entry's sentences are kept
        # in the worker under (version, language, entry): an entry never changes, and what
        # else its sentences read (campus, course and cohort names) raises that version.
        self._version = version
        self._locale = str(get_locale())
        self._translate = get_domain().get_translations().ugettext
        self._said: dict[str, str] = {}  # msgid -> its translation
        self._labels: dict[tuple[str, str], str] = {}  # (table, code) -> its label
        self._values: dict[tuple[str, str, Any], str] = {}
        self._subjects: dict[tuple[Any, Any, Any], str] = {}
        self._actors: dict[str, str] = {}  # stored "name <e-mail>" -> the name

    def _(self, message: str, **variables: Any) -> str:
        said = self._said.get(message)
        if said is None:
            said = self._said[message] = self._translate(message)
        return said % variables if variables else said

    def _label(self, table: str, labels: dict[str, Any], code: str) -> str | None:
        label = self._labels.get((table, code))
        if label is None:
            found = labels.get(code)
            if found is None:
                return None
            label = self._labels[table, code] = str(found)
        return label

    def describe(self, entry: AuditEntry, subject: str | None = None) -> Described:
        if self._version is None or entry.id is None:
            return self._describe(entry, subject)
        from .reports import figures_cache

        # The entry's time and action in the key too: an id SQLite gave a deleted newest
        # entry may be given again.
        key = (self._version, self._locale, entry.id, entry.at, entry.action, subject)
        return figures_cache.kept(
            key, lambda: self._describe(entry, subject), figures_cache.sentences_store()
        )

    def _describe(self, entry: AuditEntry, subject: str | None) -> Described:
        action = entry.action or ""
        template = self._label("action", ACTIONS, action)
        actor = self.actor(entry)
        headline = (template or self._("%(actor)s changed %(subject)s.")) % {
            "actor": actor,
            "subject": subject if subject is not None else self.subject(entry),
        }
        area = action.split(".", 1)[0]
        details = []
        for key, change in (entry.changes or {}).items():
            sentence = self._change_sentence(area, key, change)
            if sentence:
                details.append(sentence)
        return Described(_capitalised(headline), details, actor)

    def actor(self, entry: AuditEntry) -> str:
        if entry.actor_id is None and entry.actor_label in ("", "system"):
            if entry.action in APPLICANT_ACTIONS:
                return self._("The applicant")
            return self._("The system")
        stored = entry.actor_label or ""
        name = self._actors.get(stored)
        if name is None:
            match = _ACTOR.match(stored)
            name = match.group("name") if match and match.group("name") else entry.actor_label
            self._actors[stored] = name
        return name

    def subject(self, entry: AuditEntry) -> str:
        key = (entry.object_type, entry.object_id, entry.object_label)
        phrase = self._subjects.get(key)
        if phrase is None:
            phrase = self._subjects[key] = self._subject(entry)
        return phrase

    def _subject(self, entry: AuditEntry) -> str:
        label = entry.object_label or ""
        if entry.object_type == "Cohort":
            label = cohort_label(entry.object_id, label)
        else:
            label = with_cohort_labels_localised(label)
        if entry.object_type == "CoachingSession":
            trainee, _, staff = label.partition(" · ")
            if staff:
                return self._(
                    "the 1:1 session of %(trainee)s with %(staff)s", trainee=trainee, staff=staff
                )
            return self._("a 1:1 session")
        if entry.object_type == "UploadedFile" and " · " in label:
            name, _, cohort = label.partition(" · ")
            return self._("the file %(file)s for cohort %(cohort)s", file=name, cohort=cohort)
        template = self._label("subject", SUBJECTS, entry.object_type)
        if template is None or not label:
            return label or self._("a record")
        return template % {"label": label}

    def _change_sentence(self, area: str, key: str, change: Any) -> str:
        if key in HIDDEN_FIELDS:
            return ""
        if key == "staff_notes":
            return self._("Staff notes changed (not shown here).")
        if area == "attendance":  # {trainee name: [old status, new status]}
            label = key
        else:
            label = self._label("field", FIELDS, key) or key.replace("_", " ").capitalize()
        if isinstance(change, list | tuple) and len(change) == 2 and key != "follow_ups":
            before, after = (None if v == "" else v for v in change)  # an empty text is no text
            if before is None and after is None:
                return ""
            if before is None:
                return self._(
                    "%(field)s: “%(new)s”.", field=label, new=self.value(area, key, after)
                )
            if after is None:
                return self._(
                    "%(field)s removed (was “%(old)s”).",
                    field=label,
                    old=self.value(area, key, before),
                )
            return self._(
                "%(field)s changed from “%(old)s” to “%(new)s”.",
                field=label,
                old=self.value(area, key, before),
                new=self.value(area, key, after),
            )
        if change is None or change == "" or change == []:
            return ""
        return self._("%(field)s: %(value)s.", field=label, value=self.value(area, key, change))

    def value(self, area: str, key: str, value: Any) -> str:
        """`value_text`, remembered for the page when the value can be (not a list or dict)."""
        if isinstance(value, list | tuple | dict):
            if isinstance(value, list | tuple):
                return ", ".join(self.value(area, key, v) for v in value) or self._("none")
            return value_text(area, key, value)
        memo = (area, key, value, type(value))
        text = self._values.get(memo)
        if text is None:
            text = self._values[memo] = value_text(area, key, value)
        return text


# --- values -------------------------------------------------------------------------------


def _formatters() -> dict[tuple[str, str], Callable[[Any], str]]:
    """(area or "*", field) -> how a stored value reads; imported late, labels live by area."""
    from .admin.forms import ROLE_LABELS
    from .applications.forms import EDUCATION_LABELS, EMPLOYMENT_LABELS
    from .applications.services import stage_label
    from .cohorts.forms import TRACK_LABELS
    from .cohorts.roster import (
        attendance_label,
        deposit_label,
        drop_reason_label,
        enrollment_status_label,
        event_kind_label,
    )
    from .cohorts.services import status_label as cohort_status_label
    from .models import CohortStatus
    from .placements.forms import (
        EMPLOYMENT_TYPE_LABELS,
        EXCLUSION_LABELS,
        OUTCOME_LABELS,
        REFERRAL_LABELS,
        RETENTION_LABELS,
        STATE_LABELS,
        VERIFICATION_LABELS,
    )
    from .privacy.requests import kind_label as request_kind_label
    from .privacy.requests import status_label as request_status_label
    from .seoul import district_label
    from .sessions.services import kind_label as session_kind_label
    from .sessions.services import status_label as session_status_label

    def table(labels: dict) -> Callable[[Any], str]:
        return lambda value: str(labels[value])

    return {
        ("*", "stage"): stage_label,
        ("*", "role"): table(ROLE_LABELS),
        ("*", "track"): table(TRACK_LABELS),
        ("*", "source"): source_label,
        ("*", "campus_id"): _campus_name,
        ("*", "district"): district_label,
        ("*", "class_weekdays"): _weekdays,
        ("*", "staff"): _staff,
        ("*", "months"): lambda n: ngettext("%(num)d months", "%(num)d months", int(n)),
        ("*", "deposit_status"): deposit_label,
        ("*", "drop_reason"): drop_reason_label,
        ("*", "employment_type"): table(EMPLOYMENT_TYPE_LABELS),
        ("*", "exclusion_reason"): table(EXCLUSION_LABELS),
        ("*", "verification"): table(VERIFICATION_LABELS),
        ("*", "verification_state"): table(STATE_LABELS),
        ("*", "result"): table(RETENTION_LABELS),
        ("*", "employment_status"): table(EMPLOYMENT_LABELS),
        ("*", "education"): table(EDUCATION_LABELS),
        ("attendance", "*"): attendance_label,
        ("cohort", "status"): lambda v: cohort_status_label(CohortStatus(v)),
        ("roster", "status"): enrollment_status_label,
        ("session", "status"): session_status_label,
        ("session", "kind"): session_kind_label,
        ("sessions", "kind"): session_kind_label,
        ("calendar", "kind"): event_kind_label,
        ("outcome", "kind"): table(OUTCOME_LABELS),
        ("referral", "status"): table(REFERRAL_LABELS),
        ("datarequest", "kind"): request_kind_label,
        ("datarequest", "status"): request_status_label,
        ("webhook", "events"): _webhook_events,
    }


def _webhook_events(value: str) -> str:
    """A webhook's events ("a, b" as stored) as their descriptions."""
    from .webhooks.events import EVENTS

    return "; ".join(str(EVENTS.get(name.strip(), name)) for name in value.split(","))


def value_text(area: str, key: str, value: Any) -> str:
    """One stored value as people read it, in the reader's language and Seoul time."""
    if value is None:
        return gettext("none")
    if value == "(sensitive)":
        return gettext("health data, not shown")
    if isinstance(value, list | tuple):
        return ", ".join(value_text(area, key, v) for v in value) or gettext("none")
    formatters = _cached_formatters()
    formatter = (
        formatters.get((area, key)) or formatters.get((area, "*")) or formatters.get(("*", key))
    )
    if formatter is not None:
        try:
            return str(formatter(value))
        except (KeyError, ValueError, TypeError):
            pass  # a value no label knows (an old entry): shown as stored, below
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int | float):
        return format_decimal(value)
    if isinstance(value, str):
        return _text(value)
    return str(value)


def _text(value: str) -> str:
    try:
        if _DATE.match(value):
            return format_date(date.fromisoformat(value), "medium")
        if _DATETIME.match(value):
            return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
    except ValueError:
        return value
    match = _TIME.match(value)
    return match.group(1) if match else value


def _weekdays(value: str) -> str:
    names = get_day_names("abbreviated", locale=get_locale())
    return ", ".join(names[int(ch)] for ch in str(value) if ch in "0123456")


def _staff(value: str) -> str:
    """ "name <e-mail> (mentor)" as stored by cohort.staff_*: the role as its label."""
    from .admin.forms import ROLE_LABELS
    from .models import Role

    match = _STAFF.match(value)
    if match is None:
        return value
    try:
        return f"{match.group('who')} ({ROLE_LABELS[Role(match.group('role'))]})"
    except ValueError:
        return value


def _campus_name(campus_id: Any) -> str:
    """A campus by its name; all names are loaded once per request, only if a change needs one."""
    names: dict[int, tuple[str, str]] | None = g.get("_audit_campus_names")
    if names is None:
        rows = db.session.execute(db.select(Campus.id, Campus.name_ko, Campus.name_en))
        names = {row.id: (row.name_ko, row.name_en) for row in rows}
        g._audit_campus_names = names
    if int(campus_id) not in names:
        return gettext("a campus that no longer exists")
    ko, en = names[int(campus_id)]
    return en if str(get_locale()) == "en" else ko


def _cached_formatters() -> dict[tuple[str, str], Callable[[Any], str]]:
    global _FORMATTERS
    if _FORMATTERS is None:
        _FORMATTERS = _formatters()
    return _FORMATTERS


_FORMATTERS: dict[tuple[str, str], Callable[[Any], str]] | None = None

__all__ = [
    "ACTIONS",
    "FIELDS",
    "Described",
    "EntryReader",
    "describe_entry",
    "source_label",
    "value_text",
]
