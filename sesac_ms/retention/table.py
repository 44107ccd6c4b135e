"""The retention table: each kind of personal data, its period (a setting), what destroying it
means, and how it is counted and destroyed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from . import categories, trainees
from .days import cutoff


class RetentionSettingError(ValueError):
    """A retention period that is not a whole number of at least 1: nothing is destroyed."""


@dataclass(frozen=True)
class Category:
    key: str  # in the CLI's output, the app log and the audit entry's counts
    setting: str  # config.py; SESAC_<setting> in the environment
    unit: str  # "days" or "years"
    label: Any  # lazy: what is kept
    meaning: Any  # lazy: what destroying it means
    period_text: Callable[[int], str]  # the period as a phrase, e.g. "5 years after …"
    counter: Callable[[date], int]  # (first day kept) -> how many are older
    destroyer: Callable[[date, date], int | None]  # (first day kept, today) -> destroyed
    default: int | None = None  # for a setting defined elsewhere (the access log's)

    def amount(self) -> int:
        """The period from the configuration; RetentionSettingError unless a whole number ≥ 1."""
        value = current_app.config.get(self.setting, self.default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RetentionSettingError(
                f"{self.setting}={value!r}: expected a whole number of {self.unit}, at least 1"
            )
        return value

    def cutoff(self, day: date) -> date:
        """The first day a run on `day` keeps: what is dated before it is destroyed."""
        return cutoff(day, self.amount(), self.unit)

    def count_due(self, day: date) -> int:
        """How many a run on `day` would destroy, counted in SQL."""
        return self.counter(self.cutoff(day))

    def destroy(self, today: date) -> int | None:
        """Destroy what has outlived the period (None: the category cannot run yet)."""
        return self.destroyer(self.cutoff(today), today)

    def period(self) -> str:
        return self.period_text(self.amount())


CATEGORIES: tuple[Category, ...] = (
    Category(
        key="applicants",
        setting="APPLICANT_RETENTION_DAYS",
        unit="days",
        label=_l("Applicants not selected"),
        meaning=_l(
            "The application (contact details, birth date, answers) and the evaluators' "
            "scores and comments are deleted."
        ),
        period_text=lambda n: ngettext(
            "%(num)d day after their cohort starts", "%(num)d days after their cohort starts", n
        ),
        counter=categories.count_applicants,
        destroyer=categories.destroy_applicants,
    ),
    Category(
        key="trainees",
        setting="TRAINEE_RETENTION_YEARS",
        unit="years",
        label=_l("Trainees"),
        meaning=_l(
            "The account is anonymised (name, e-mail, phone, password, second factors) and "
            "closed; their applications are deleted; notes about them on attendance, 1:1 "
            "sessions, outcomes and referrals are blanked. Enrollments, attendance marks, "
            "outcomes and exam results stay without a name, so the reports of past cohorts "
            "keep their figures."
        ),
        period_text=lambda n: ngettext(
            "%(num)d year after their last cohort ends",
            "%(num)d years after their last cohort ends",
            n,
        ),
        counter=trainees.count_trainees,
        destroyer=trainees.destroy_trainees,
    ),
    Category(
        key="session_notes",
        setting="SESSION_NOTES_RETENTION_YEARS",
        unit="years",
        label=_l("Staff notes of 1:1 sessions"),
        meaning=_l(
            "The staff-only notes are blanked; the session, the summary the trainee sees and "
            "the follow-ups stay."
        ),
        period_text=lambda n: ngettext(
            "%(num)d year after the session", "%(num)d years after the session", n
        ),
        counter=categories.count_session_notes,
        destroyer=categories.destroy_session_notes,
    ),
    Category(
        key="uploaded_files",
        setting="UPLOAD_RETENTION_DAYS",
        unit="days",
        label=_l("Uploaded import files"),
        meaning=_l("The file is deleted, imported or not; the records imported from it stay."),
        period_text=lambda n: ngettext(
            "%(num)d day after the upload", "%(num)d days after the upload", n
        ),
        counter=categories.count_uploaded_files,
        destroyer=categories.destroy_uploaded_files,
    ),
    Category(
        key="outbox_messages",
        setting="OUTBOX_RETENTION_DAYS",
        unit="days",
        label=_l("Messages sent or given up"),
        meaning=_l("The message (recipient and text) is deleted; messages still waiting stay."),
        period_text=lambda n: ngettext(
            "%(num)d day after it was sent or given up",
            "%(num)d days after it was sent or given up",
            n,
        ),
        counter=categories.count_outbox_messages,
        destroyer=categories.destroy_outbox_messages,
    ),
    Category(
        key="access_records",
        setting="ACCESS_LOG_RETENTION_DAYS",
        unit="days",
        default=730,
        label=_l("Access log and audit log"),
        meaning=_l(
            "Entries are deleted by the logs' own pruning, which keeps the chain of the "
            "entries left verifiable."
        ),
        period_text=lambda n: ngettext(
            "%(num)d day after the entry", "%(num)d days after the entry", n
        ),
        counter=categories.count_access_records,
        destroyer=categories.destroy_access_records,
    ),
)

BY_KEY = {category.key: category for category in CATEGORIES}


def category(key: str) -> Category:
    return BY_KEY[key]


def check_settings() -> None:
    """Refuse, naming every bad setting at once, before anything is counted or destroyed."""
    problems = []
    for each in CATEGORIES:
        try:
            each.amount()
        except RetentionSettingError as problem:
            problems.append(str(problem))
    if problems:
        raise RetentionSettingError("; ".join(problems))
