"""The monthly review of personal-data access (제8조②): a month summed per user, with flags.

For each user, a month of the access log (views, downloads and changes of personal data)
and of the audit log (failed log-ins, lockouts, second-factor resets), summed in SQL with
one GROUP BY per log: a month at twice Seoul's scale holds 100k+ access rows, and none of
them is loaded into Python. The page runs the same few statements however many rows the
month holds.

What is unusual is flagged by a rule, and each flag names its rule (`rule_texts`):
- off-hours: access in Seoul outside REVIEW_WORKDAY_STARTS_HOUR–REVIEW_WORKDAY_ENDS_HOUR on
  a weekday, or on a weekend or Korean public holiday (the `holidays` package);
- bulk download: a download of more than REVIEW_BULK_DOWNLOAD_PEOPLE people;
- another campus: data of people of a campus other than the user's own. The campus of the
  data is that of the record's cohort (a cohort's list, an application, an enrolment, a
  1:1 session), else that of the person's account; the user's campus is their account's
  campus now. Administrators belong to no campus and see every campus;
- failed log-ins: at least REVIEW_FAILED_LOGINS in the month (auth.services.count_failure
  writes each to the audit log, for addresses without an account too, without the address);
- lockout: log-in to the account was paused after repeated failures;
- second-factor reset: the account's second factor was removed.

An administrator records that a month was reviewed (`record_review`, audited); the admin
dashboard reminds until the previous month is (`review_due`, one query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import audit, spreadsheet_out
from ..clock import SEOUL, today_in_seoul
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import (
    AccessReview,
    Application,
    AuditEntry,
    Campus,
    CoachingSession,
    Cohort,
    Course,
    Enrollment,
    PersonalDataAccess,
    Role,
    User,
)
from ..models.audit import AccessAction

# --- months ---------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Seoul time, written "2026-10"."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """The month of "YYYY-MM", or InvalidInput (field "month")."""
        found = _MONTH.match((text or "").strip())
        if not found or not 1 <= int(found[2]) <= 12 or not 2000 <= int(found[1]) <= 2100:
            raise InvalidInput(gettext("Give a month as YYYY-MM, e.g. 2026-10."), "month")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.number // 12, self.number % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.number == 1), (self.number - 2) % 12 + 1)

    @property
    def last_day(self) -> date:
        return self.next.first_day - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The month's first and the next month's first instant in Seoul, as UTC."""
        start = datetime.combine(self.first_day, time(), SEOUL).astimezone(UTC)
        end = datetime.combine(self.next.first_day, time(), SEOUL).astimezone(UTC)
        return start, end


def previous_month(today: date | None = None) -> Month:
    return Month.of(today or today_in_seoul()).previous


# --- the rules ------------------------------------------------------------------------------

RULES = (
    "off_hours",
    "bulk_download",
    "other_campus",
    "failed_logins",
    "lockout",
    "second_factor_reset",
)


def _hours() -> tuple[int, int]:
    config = current_app.config
    start, end = config["REVIEW_WORKDAY_STARTS_HOUR"], config["REVIEW_WORKDAY_ENDS_HOUR"]
    if not 0 <= start < end <= 24:
        raise ValueError("REVIEW_WORKDAY_STARTS_HOUR < REVIEW_WORKDAY_ENDS_HOUR, both in 0–24")
    return start, end


def rule_texts() -> dict[str, str]:
    """Each rule in words, in the current language, with the settings it uses."""
    config = current_app.config
    start, end = _hours()
    return {
        "off_hours": gettext(
            "Off-hours: personal data used outside %(start)s–%(end)s on a weekday, or on a "
            "weekend or public holiday (Seoul time).",
            start=f"{start:02d}:00",
            end=f"{end:02d}:00",
        ),
        "bulk_download": gettext(
            "Bulk download: the data of more than %(n)d people downloaded at once.",
            n=config["REVIEW_BULK_DOWNLOAD_PEOPLE"],
        ),
        "other_campus": gettext(
            "Another campus: personal data of people of a campus other than the user's own."
        ),
        "failed_logins": gettext(
            "Failed log-ins: %(n)d or more wrong passwords or codes in the month.",
            n=config["REVIEW_FAILED_LOGINS"],
        ),
        "lockout": gettext("Lockout: log-in was paused after repeated failures."),
        "second_factor_reset": gettext(
            "Second-factor reset: the account's second factor was removed."
        ),
    }


def working_windows(month: Month) -> list[tuple[datetime, datetime]]:
    """The month's working hours as UTC intervals: one per weekday that is not a holiday."""
    from ..cohorts.roster import korean_holidays

    start_hour, end_hour = _hours()
    off = korean_holidays(month.first_day, month.last_day)
    windows = []
    day = month.first_day
    while day <= month.last_day:
        if day.weekday() < 5 and day not in off:
            midnight = datetime.combine(day, time(), SEOUL)
            windows.append(
                (
                    (midnight + timedelta(hours=start_hour)).astimezone(UTC),
                    (midnight + timedelta(hours=end_hour)).astimezone(UTC),
                )
            )
        day += timedelta(days=1)
    return windows


# --- the summary ----------------------------------------------------------------------------

# The audit actions the review counts, and what each counts as.
FAILED_LOGIN = "user.login_failed"
FAILED_LOGIN_UNKNOWN = "user.login_failed_unknown"
LOCKED = "user.locked"
SECOND_FACTOR_RESET = "user.second_factor_reset"
_AUDIT_COUNTS = {
    FAILED_LOGIN: "failed_logins",
    FAILED_LOGIN_UNKNOWN: "failed_logins",
    LOCKED: "lockouts",
    SECOND_FACTOR_RESET: "second_factor_resets",
}

# Rows that are not one account.
SYSTEM = "system"  # the access log's entries without a user: the system, deleted accounts
UNKNOWN = "unknown"  # failed log-ins at addresses no account has


@dataclass
class Flag:
    rule: str  # a key of RULES
    count: int


@dataclass
class ReviewRow:
    """One user's month: what they did with personal data and what happened to their log-in."""

    user_id: int | None
    name: str
    email: str = ""
    role: Role | None = None
    campus: str = ""
    kind: str = "user"  # or SYSTEM, UNKNOWN
    views: int = 0  # access-log entries
    people_viewed: int = 0  # people shown by those views (a list counts its people)
    downloads: int = 0
    people_downloaded: int = 0
    largest_download: int = 0  # people in the largest single download
    changes: int = 0
    off_hours: int = 0  # access-log entries off hours
    bulk_downloads: int = 0
    other_campus: int = 0  # access-log entries about people of another campus
    failed_logins: int = 0
    lockouts: int = 0
    second_factor_resets: int = 0
    flags: list[Flag] = field(default_factory=list)

    @property
    def activity(self) -> int:
        return self.views + self.downloads + self.changes


# The counts a row sums (largest_download is a maximum, not a sum).
COUNTS = (
    "views",
    "people_viewed",
    "downloads",
    "people_downloaded",
    "changes",
    "off_hours",
    "bulk_downloads",
    "other_campus",
    "failed_logins",
    "lockouts",
    "second_factor_resets",
)


@dataclass
class MonthReview:
    month: Month
    rows: list[ReviewRow]  # flagged first
    totals: ReviewRow
    record: AccessReview | None
    ended: bool  # the month is over, so it may be recorded as reviewed

    @property
    def flagged(self) -> list[ReviewRow]:
        return [row for row in self.rows if row.flags]

    @property
    def unflagged(self) -> list[ReviewRow]:
        return [row for row in self.rows if not row.flags]


def _count(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _access_query(month: Month) -> sa.Select:
    """The month's access log summed per user, in one statement."""
    config = current_app.config
    P = PersonalDataAccess
    actor = aliased(User, name="actor")
    person = aliased(User, name="person")
    start, end = month.bounds()
    windows = working_windows(month)
    working = sa.or_(*(sa.and_(P.at >= s, P.at < e) for s, e in windows)) if windows else None
    off_hours = sa.not_(working) if working is not None else sa.true()
    # The campus of the data: the record's cohort's, else the person's account's.
    subject_cohort = sa.case(
        (P.subject_type == "Cohort", P.subject_id),
        else_=sa.func.coalesce(
            Application.cohort_id, Enrollment.cohort_id, CoachingSession.cohort_id
        ),
    )
    subject_campus = sa.func.coalesce(Course.campus_id, person.campus_id)
    other_campus = sa.and_(
        actor.campus_id.is_not(None),
        subject_campus.is_not(None),
        subject_campus != actor.campus_id,
    )
    # People a row is about: the people a list showed, one for one person's record; pages
    # that count log entries rather than people count none.
    entry_pages = [key for key, page in audit.PAGES.items() if page.counts_entries]
    people = sa.case((P.page.in_(entry_pages), 0), else_=sa.func.coalesce(P.people_count, 1))
    viewed = P.action == AccessAction.VIEW
    downloaded = P.action == AccessAction.DOWNLOAD
    # Entries without a user (the system, accounts since deleted) are told apart by label.
    label_key = sa.case((P.actor_id.is_(None), P.actor_label), else_=None)
    return (
        sa.select(
            P.actor_id,
            label_key.label("label"),
            _count(viewed).label("views"),
            sa.func.sum(sa.case((viewed, people), else_=0)).label("people_viewed"),
            _count(downloaded).label("downloads"),
            sa.func.sum(sa.case((downloaded, people), else_=0)).label("people_downloaded"),
            sa.func.max(sa.case((downloaded, people), else_=0)).label("largest_download"),
            _count(P.action == AccessAction.CHANGE).label("changes"),
            _count(off_hours).label("off_hours"),
            _count(
                sa.and_(downloaded, P.people_count > config["REVIEW_BULK_DOWNLOAD_PEOPLE"])
            ).label("bulk_downloads"),
            _count(other_campus).label("other_campus"),
        )
        .select_from(P)
        .outerjoin(actor, actor.id == P.actor_id)
        .outerjoin(person, person.id == P.person_id)
        .outerjoin(
            Application,
            sa.and_(P.subject_type == "Application", Application.id == P.subject_id),
        )
        .outerjoin(
            Enrollment, sa.and_(P.subject_type == "Enrollment", Enrollment.id == P.subject_id)
        )
        .outerjoin(
            CoachingSession,
            sa.and_(P.subject_type == "CoachingSession", CoachingSession.id == P.subject_id),
        )
        .outerjoin(Cohort, Cohort.id == subject_cohort)
        .outerjoin(Course, Course.id == Cohort.course_id)
        .where(P.at >= start, P.at < end)
        .group_by(P.actor_id, label_key)
    )


def _audit_query(month: Month) -> sa.Select:
    """The month's failed log-ins, lockouts and second-factor resets per account."""
    start, end = month.bounds()
    A = AuditEntry
    return (
        sa.select(A.action, A.object_id, sa.func.max(A.object_label), sa.func.count())
        .where(A.at >= start, A.at < end, A.action.in_(list(_AUDIT_COUNTS)))
        .group_by(A.action, A.object_id)
    )


def _flags(row: ReviewRow) -> list[Flag]:
    config = current_app.config
    found = [
        Flag("off_hours", row.off_hours),
        Flag("bulk_download", row.bulk_downloads),
        Flag("other_campus", row.other_campus),
        Flag(
            "failed_logins",
            row.failed_logins if row.failed_logins >= config["REVIEW_FAILED_LOGINS"] else 0,
        ),
        Flag("lockout", row.lockouts),
        Flag("second_factor_reset", row.second_factor_resets),
    ]
    return [flag for flag in found if flag.count > 0]


def month_review(month: Month, today: date | None = None) -> MonthReview:
    """The month summed per user, flagged, flagged rows first; four statements in all."""
    rows: dict[Any, ReviewRow] = {}

    def row_for(key: Any, **values: Any) -> ReviewRow:
        if key not in rows:
            rows[key] = ReviewRow(**values)
        return rows[key]

    for found in db.session.execute(_access_query(month)).mappings():
        if found["actor_id"] is not None:
            row = row_for(found["actor_id"], user_id=found["actor_id"], name="")
        else:
            label = found["label"] or ""
            row = row_for(("label", label), user_id=None, name=label, kind=SYSTEM)
        for name in COUNTS:
            if name in found:
                setattr(row, name, getattr(row, name) + int(found[name] or 0))
        row.largest_download = max(row.largest_download, int(found["largest_download"] or 0))
    for action, object_id, label, count in db.session.execute(_audit_query(month)):
        if action == FAILED_LOGIN_UNKNOWN:
            row = row_for(UNKNOWN, user_id=None, name="", kind=UNKNOWN)
        elif object_id is not None:
            row = row_for(object_id, user_id=object_id, name=label or "")
        else:
            continue
        name = _AUDIT_COUNTS[action]
        setattr(row, name, getattr(row, name) + count)
    ids = [key for key in rows if isinstance(key, int)]
    locale = str(get_locale() or "ko")
    for user_id, name, email, role, name_ko, name_en in db.session.execute(
        sa.select(User.id, User.name, User.email, User.role, Campus.name_ko, Campus.name_en)
        .outerjoin(Campus, Campus.id == User.campus_id)
        .where(User.id.in_(ids))
    ):
        row = rows[user_id]
        row.name, row.email, row.role = name, email, role
        row.campus = (name_en if locale == "en" else name_ko) or ""
    for row in rows.values():
        if row.kind == SYSTEM and row.name == "system":
            row.name = gettext("The system")
        elif row.kind == UNKNOWN:
            row.name = gettext("Addresses without an account")
        elif row.kind == "user" and not row.email:
            row.name = row.name or gettext("A deleted account")
        row.flags = _flags(row)
    ordered = sorted(
        rows.values(), key=lambda r: (-len(r.flags), -r.activity, r.name, r.user_id or 0)
    )
    totals = ReviewRow(user_id=None, name=gettext("All users"), kind="total")
    for row in ordered:
        for name in COUNTS:
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
        totals.largest_download = max(totals.largest_download, row.largest_download)
    record = db.session.scalar(sa.select(AccessReview).where(AccessReview.month == str(month)))
    ended = month < Month.of(today or today_in_seoul())
    return MonthReview(month=month, rows=ordered, totals=totals, record=record, ended=ended)


# --- recording the review -------------------------------------------------------------------


def record_review(actor: User, month: Month, note: str, today: date | None = None) -> AccessReview:
    """Record that `actor` reviewed the month, with a note; audited.

    Raises InvalidInput (field "month") for a month that is not over yet, Conflict (field
    "month") when the month was recorded already, by someone else at the same moment too.
    """
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(gettext("The note is too long (2000 characters at most)."), "note")
    if not month < Month.of(today or today_in_seoul()):
        raise InvalidInput(gettext("A month can be recorded as reviewed once it is over."), "month")
    done = db.session.scalar(sa.select(AccessReview).where(AccessReview.month == str(month)))
    if done is not None:
        raise _already(month)
    review = AccessReview(
        month=str(month),
        reviewed_by_id=actor.id,
        reviewed_by_label=f"{actor.name} <{actor.email}>",
        note=note,
    )
    try:
        with db.session.begin_nested():
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise _already(month) from None
    audit.record(
        actor,
        "access_review.recorded",
        review,
        {"month": [None, str(month)], "note": [None, note or None]},
        label=str(month),
    )
    return review


def _already(month: Month) -> Conflict:
    return Conflict(
        gettext("%(month)s was recorded as reviewed already.", month=str(month)), "month"
    )


def review_recorded(month: Month) -> Any:
    """A column true once `month` is recorded as reviewed, to read with other figures."""
    return sa.exists().where(AccessReview.month == str(month))


def review_due(today: date | None = None, *, recorded: bool | None = None) -> Month | None:
    """The previous month, while it is not recorded as reviewed (one query, none when the
    caller read `review_recorded` of that month already)."""
    month = previous_month(today)
    if recorded is None:
        recorded = bool(db.session.scalar(sa.select(review_recorded(month))))
    return None if recorded else month


# --- the table, for the download and the command line ---------------------------------------


def table(review: MonthReview) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows (totals last) in the current language; the flags named in words."""
    from .forms import ROLE_LABELS

    headers = [
        gettext("User"),
        gettext("E-mail"),
        gettext("Role"),
        gettext("Campus"),
        gettext("Views"),
        gettext("People shown"),
        gettext("Downloads"),
        gettext("People downloaded"),
        gettext("Largest download"),
        gettext("Changes"),
        gettext("Off-hours"),
        gettext("Bulk downloads"),
        gettext("Another campus"),
        gettext("Failed log-ins"),
        gettext("Lockouts"),
        gettext("Second-factor resets"),
        gettext("Flags"),
    ]
    texts = rule_texts()
    rows = []
    for row in [*review.rows, review.totals]:
        rows.append(
            [
                row.name,
                row.email,
                str(ROLE_LABELS[row.role]) if row.role else "",
                row.campus,
                row.views,
                row.people_viewed,
                row.downloads,
                row.people_downloaded,
                row.largest_download,
                row.changes,
                row.off_hours,
                row.bulk_downloads,
                row.other_campus,
                row.failed_logins,
                row.lockouts,
                row.second_factor_resets,
                " ".join(f"{texts[flag.rule]} ({flag.count})" for flag in row.flags),
            ]
        )
    return headers, rows


def export(actor: User | None, month: Month, fmt: str, reason: str) -> tuple[bytes, str, str]:
    """The month's review as CSV (UTF-8 with BOM) or XLSX, in Korean as the other offices
    expect; the download is logged in the access log with its reason."""
    with force_locale("ko"):
        review = month_review(month)
        headers, rows = table(review)
    audit.record_access(
        actor,
        AccessAction.DOWNLOAD,
        gettext("Access review of %(month)s (%(n)d users)", month=str(month), n=len(review.rows)),
        page="admin.access_review_export",
        detail=fmt.upper(),
        people_count=len(review.rows),
        filters={"month": str(month)},
        reason=reason,
    )
    name = f"access-review-{month}"
    if fmt == "xlsx":
        content = spreadsheet_out.xlsx_bytes(headers, rows, sheet_title=str(month))
        return content, spreadsheet_out.XLSX_MIMETYPE, f"{name}.xlsx"
    return spreadsheet_out.csv_bytes(headers, rows), spreadsheet_out.CSV_MIMETYPE, f"{name}.csv"
