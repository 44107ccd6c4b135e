"""Admin use-cases: campuses, user lists and exports, browsing the logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import get_locale, gettext
from sqlalchemy import Select

from .. import audit, spreadsheet_out
from ..clock import SEOUL
from ..errors import Conflict, Problems
from ..extensions import db
from ..models import AuditEntry, Campus, PersonalDataAccess, Role, User
from ..models.audit import AccessAction

CAMPUS_FIELDS = (
    "name_ko",
    "name_en",
    "district",
    "opening_order",
    "opened_on",
    "ai_specialised",
    "partner_company",
    "session_cancel_cutoff_hours",
)


def _clean_campus(values: dict, campus: Campus | None = None) -> dict:
    values = dict(values)
    for key in ("name_ko", "name_en", "district", "partner_company"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip() or None
    problems = Problems()
    for key in ("name_ko", "name_en", "district"):
        if not values.get(key):
            problems.add(gettext("This field is required."), key)
    checks = (
        ("name_ko", Campus.name_ko, gettext("Another campus has this Korean name.")),
        ("name_en", Campus.name_en, gettext("Another campus has this English name.")),
        ("opening_order", Campus.opening_order, gettext("Another campus has this opening order.")),
    )
    for key, column, message in checks:
        if values.get(key) is None:
            continue
        clash = db.session.scalar(db.select(Campus.id).where(column == values[key]))
        if clash is not None and (campus is None or clash != campus.id):
            problems.add_error(Conflict(message, key))
    values["ai_specialised"] = bool(values.get("ai_specialised"))
    cutoff = values.get("session_cancel_cutoff_hours")
    if cutoff is None:
        values["session_cancel_cutoff_hours"] = 24
    elif not 0 <= cutoff <= 240:
        problems.add(gettext("Between 0 and 240 hours."), "session_cancel_cutoff_hours")
    problems.raise_any()  # every problem at once
    return values


def check_campus(values: dict, campus: Campus | None = None) -> None:
    """The campus form's service checks, all at once, changing nothing."""
    _clean_campus(values, campus)


def create_campus(actor: User, **values) -> Campus:
    values = _clean_campus(values)
    campus = Campus(**values)
    db.session.add(campus)
    db.session.flush()
    audit.record(
        actor,
        "campus.created",
        campus,
        {k: [None, v] for k, v in values.items()},
        label=campus.name_ko,
        campus_id=campus.id,
    )
    return campus


def update_campus(actor: User, campus: Campus, **values) -> None:
    values = _clean_campus(values, campus)
    changes = audit.apply_changes(campus, values)
    if changes:
        audit.record(
            actor, "campus.updated", campus, changes, label=campus.name_ko, campus_id=campus.id
        )


def campuses() -> list[Campus]:
    return list(
        db.session.scalars(
            db.select(Campus).order_by(Campus.opening_order.nulls_last(), Campus.name_ko)
        )
    )


def users_query(
    *, q: str = "", role: str = "", campus_id: int | None = None, active: str = ""
) -> Select:
    stmt = db.select(User).order_by(User.name, User.id)
    if q:
        term = q.strip().lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(User.name).contains(term, autoescape=True),
                User.email.contains(term, autoescape=True),
            )
        )
    if role in set(Role):
        stmt = stmt.where(User.role == role)
    if campus_id:
        stmt = stmt.where(User.campus_id == campus_id)
    if active in ("yes", "no"):
        stmt = stmt.where(User.active.is_(active == "yes"))
    return stmt


def user_rows_query(**filters) -> Select:
    """`users_query` reading only what the user list shows, as plain rows."""
    return users_query(**filters).with_only_columns(
        User.id, User.name, User.email, User.role, User.campus_id, User.active
    )


def shown_user_filters(
    *, q: str = "", role: str = "", campus_id: int | None = None, active: str = ""
) -> dict[str, str]:
    """The user-list filters as the page shows them, for the access log."""
    from .forms import ROLE_LABELS

    campus = db.session.get(Campus, campus_id) if campus_id else None
    return {
        "search": q.strip(),
        "role": str(ROLE_LABELS[Role(role)]) if role in set(Role) else "",
        "campus": campus.name_ko if campus else "",
        "status": {"yes": gettext("Active"), "no": gettext("Inactive")}.get(active, ""),
    }


def export_users_csv(actor: User, reason: str, **filters) -> bytes:
    """Users as CSV (UTF-8 with BOM for Excel); the download is logged with its reason.

    Read as plain rows (no User objects) and written in one pass; the file is kept under the
    figures' version (reports.figures_cache), which every account added, removed, renamed,
    re-addressed, re-roled, moved or (de)activated raises, as does a campus renamed: the
    next download of the same accounts, in the same language, is the kept file."""
    from ..reports import figures_cache

    def write() -> tuple[bytes, int]:
        stmt = (
            users_query(**filters)
            .with_only_columns(User.name, User.email, User.role, Campus.name_ko, User.active)
            .select_from(User)
            .outerjoin(Campus, Campus.id == User.campus_id)
        )
        users = db.session.execute(stmt).all()
        from .forms import ROLE_LABELS

        roles = {role: str(label) for role, label in ROLE_LABELS.items()}  # named, never a code
        headers = [
            gettext("Name"),
            gettext("E-mail"),
            gettext("Role"),
            gettext("Campus"),
            gettext("Active"),
        ]
        rows = [
            [name, email, roles[role], campus or "", "Y" if active else "N"]
            for name, email, role, campus, active in users
        ]
        return spreadsheet_out.csv_bytes(headers, rows), len(users)

    what = ("accounts csv", tuple(sorted(filters.items())), str(get_locale()))
    content, count = figures_cache.kept_file(what, write)
    audit.record_access(
        actor,
        AccessAction.DOWNLOAD,
        gettext("%(n)d user accounts", n=count),
        page="admin.users_export",
        people_count=count,
        filters=shown_user_filters(**filters),
        reason=reason,
    )
    return content


def view_user(actor: User, user: User) -> None:
    audit.record_access(
        actor, AccessAction.VIEW, f"{user.name} <{user.email}>", subject=user, page="admin.user"
    )


def _day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, ...]:
    start = datetime.combine(date_from, time(), SEOUL).astimezone(UTC) if date_from else None
    end = (
        datetime.combine(date_to + timedelta(days=1), time(), SEOUL).astimezone(UTC)
        if date_to
        else None
    )
    return start, end


def audit_query(
    *, q: str = "", action: str = "", date_from: date | None = None, date_to: date | None = None
) -> Select:
    stmt = db.select(AuditEntry).order_by(AuditEntry.id.desc())
    if q:
        term = q.strip().lower()
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(AuditEntry.actor_label).contains(term, autoescape=True),
                sa.func.lower(AuditEntry.object_label).contains(term, autoescape=True),
                sa.func.lower(AuditEntry.object_type).contains(term, autoescape=True),
            )
        )
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action.strip(), autoescape=True))
    start, end = _day_bounds(date_from, date_to)
    if start:
        stmt = stmt.where(AuditEntry.at >= start)
    if end:
        stmt = stmt.where(AuditEntry.at < end)
    return stmt


def _who_matches(label: sa.ColumnElement, id_column: sa.ColumnElement, text: str):
    """A user number finds that account; anything else searches the "name <e-mail>" label."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return id_column == int(text)
    return sa.func.lower(label).contains(text.lower(), autoescape=True)


def access_query(
    *,
    who: str = "",
    person: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select:
    """Access-log rows, newest first: by the staff member who looked (`who`), whose data it
    was (`person`: name, e-mail or user number), action and Seoul dates."""
    stmt = db.select(PersonalDataAccess).order_by(PersonalDataAccess.id.desc())
    if who.strip():
        stmt = stmt.where(
            _who_matches(PersonalDataAccess.actor_label, PersonalDataAccess.actor_id, who)
        )
    if person.strip():
        stmt = stmt.where(
            _who_matches(PersonalDataAccess.subject_label, PersonalDataAccess.person_id, person)
        )
    if action in set(AccessAction):
        stmt = stmt.where(PersonalDataAccess.action == action)
    start, end = _day_bounds(date_from, date_to)
    if start:
        stmt = stmt.where(PersonalDataAccess.at >= start)
    if end:
        stmt = stmt.where(PersonalDataAccess.at < end)
    return stmt
