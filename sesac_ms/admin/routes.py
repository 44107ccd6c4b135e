"""Routes of the admin blueprint."""

from datetime import date
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from .. import audit, paging
from ..audit_text import EntryReader
from ..auth import second_factor
from ..auth import services as accounts
from ..auth.forms import ButtonForm
from ..downloads import file_response
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error, validate_all
from ..models import AuditEntry, Campus, PersonalDataAccess, Role, User
from ..permissions import acting_user, require
from ..reports import figures_cache
from . import bp, services
from .forms import (
    ROLE_LABELS,
    AccessLogFilterForm,
    CampusForm,
    ExportForm,
    LogFilterForm,
    UserForm,
)

# --- campuses ----------------------------------------------------------------------


@bp.get("/campuses")
@require("campus.view")
def campuses() -> ResponseReturnValue:
    return render_template("admin/campuses.html", campuses=services.campuses())


@bp.route("/campuses/new", methods=["GET", "POST"])
@require("campus.manage")
def new_campus() -> ResponseReturnValue:
    form = CampusForm()
    values = {name: getattr(form, name).data for name in services.CAMPUS_FIELDS}
    if validate_all(form, lambda: services.check_campus(values)):
        try:
            campus = services.create_campus(acting_user(), **values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Campus %(name)s was created.", name=campus.display_name(str(get_locale()))
                ),
                "success",
            )
            return redirect(url_for("admin.campuses"))
    return render_template("admin/campus_form.html", form=form, campus=None)


@bp.route("/campuses/<int:campus_id>/edit", methods=["GET", "POST"])
@require("campus.manage")
def edit_campus(campus_id: int) -> ResponseReturnValue:
    campus = db.get_or_404(Campus, campus_id)
    form = CampusForm(obj=campus)
    values = {name: getattr(form, name).data for name in services.CAMPUS_FIELDS}
    if validate_all(form, lambda: services.check_campus(values, campus)):
        try:
            services.update_campus(acting_user(), campus, **values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Campus %(name)s was saved.", name=campus.display_name(str(get_locale()))),
                "success",
            )
            return redirect(url_for("admin.campuses"))
    return render_template("admin/campus_form.html", form=form, campus=campus)


# --- users ---------------------------------------------------------------------------


def _user_filters() -> dict:
    return {
        "q": request.args.get("q", "")[:100],
        "role": request.args.get("role", ""),
        "campus_id": request.args.get("campus_id", type=int),
        "active": request.args.get("active", ""),
    }


@bp.get("/users")
@require("user.view")
def users() -> ResponseReturnValue:
    filters = _user_filters()
    page = paging.numbered(services.user_rows_query(**filters), per_page=50)
    audit.log_list_access(
        acting_user(),
        "admin.users",
        {**services.shown_user_filters(**filters), "page": page.page if page.page > 1 else None},
        len(page.items),
    )
    locale = str(get_locale())
    campuses = services.campuses()
    html = render_template(
        "admin/users.html",
        page=page,
        filters=filters,
        campuses=campuses,
        campus_names={campus.id: campus.display_name(locale) for campus in campuses},
        role_labels={role: str(label) for role, label in ROLE_LABELS.items()},
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.campus_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(c.id, c.display_name(str(get_locale()))) for c in services.campuses()
    ]
    if user is not None:
        form.email.render_kw = {"readonly": True}
        if request.method == "GET":
            form.campus_id.data = user.campus_id or 0
    return form


def _campus_from(form: UserForm) -> Campus | None:
    return db.session.get(Campus, form.campus_id.data) if form.campus_id.data else None


@bp.route("/users/new", methods=["GET", "POST"])
@require("user.manage")
def new_user() -> ResponseReturnValue:
    form = _user_form()
    check = partial(
        accounts.check_user,
        acting_user(),
        email=form.email.data,
        name=form.name.data,
        role=form.role.data,
        campus=_campus_from(form),
    )
    if validate_all(form, check):
        try:
            user = accounts.create_user(
                acting_user(),
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                campus=_campus_from(form),
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "%(name)s was created and a link to set a password was mailed to %(email)s.",
                    name=user.name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.get("/users/<int:user_id>")
@require("user.view")
def user(user_id: int) -> ResponseReturnValue:
    person = db.get_or_404(User, user_id)
    services.view_user(acting_user(), person)
    db.session.commit()
    return render_template(
        "admin/user.html",
        person=person,
        locked_until=accounts.locked_until(person),
        factors=second_factor.factors_of(person),
        role_labels=ROLE_LABELS,
        button=ButtonForm(),
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("user.manage")
def edit_user(user_id: int) -> ResponseReturnValue:
    person = db.get_or_404(User, user_id)
    form = _user_form(person)
    if request.method == "POST":
        form.email.data = person.email
    check = partial(
        accounts.check_user,
        acting_user(),
        email=None,
        name=form.name.data,
        role=form.role.data,
        campus=_campus_from(form),
        user=person,
    )
    if validate_all(form, check):
        try:
            accounts.update_user(
                acting_user(),
                person,
                name=form.name.data,
                role=Role(form.role.data),
                campus=_campus_from(form),
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(gettext("%(name)s was saved.", name=person.name), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return render_template("admin/user_form.html", form=form, user=person)


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    person = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        accounts.set_user_active(acting_user(), person, active)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        message = (
            gettext("%(name)s can log in again.", name=person.name)
            if active
            else gettext("%(name)s was deactivated and logged out everywhere.", name=person.name)
        )
        flash(message, "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
@require("user.manage")
def deactivate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/activate")
@require("user.manage")
def activate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/reset-second-factor")
@require("user.manage")
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    person = db.get_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    second_factor.reset(acting_user(), person)
    db.session.commit()
    flash(
        gettext(
            "The second factor of %(name)s was removed and their sessions ended; they set up "
            "a new one at their next log-in.",
            name=person.name,
        ),
        "success",
    )
    if person.id == acting_user().id:
        return redirect(url_for("auth.login"))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/send-link")
@require("user.manage")
def send_password_link(user_id: int) -> ResponseReturnValue:
    person = db.get_or_404(User, user_id)
    if not person.active:
        flash(gettext("Activate the account first."), "danger")
        return redirect(url_for("admin.user", user_id=user_id))
    accounts.issue_password_link(person, purpose="reset")
    db.session.commit()
    flash(
        gettext("A link to set a password was mailed to %(email)s.", email=person.email), "success"
    )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/export", methods=["GET", "POST"])
@require("user.export")
def export_users() -> ResponseReturnValue:
    filters = _user_filters()
    form = ExportForm()
    if form.validate_on_submit():
        content = services.export_users_csv(acting_user(), form.reason.data, **filters)
        db.session.commit()
        return file_response(content, "text/csv; charset=utf-8", "sesac-users.csv")
    return render_template("admin/export.html", form=form, filters=filters)


# --- logs ----------------------------------------------------------------------------


# The audit log's filter: an action-code prefix (kept in the URL) and what it is called.
AUDIT_AREAS = {
    "user.": _l("user accounts"),
    "campus.": _l("campuses"),
    "course.": _l("courses"),
    "cohort.": _l("cohorts"),
    "calendar.": _l("class calendars"),
    "application": _l("applications"),
    "interview_slot.": _l("interview times"),
    "attendance.": _l("attendance"),
    "roster.": _l("rosters and deposits"),
    "session": _l("1:1 sessions"),
    "outcome.": _l("outcomes"),
    "referral.": _l("job referrals"),
    "company.": _l("companies"),
    "certification.": _l("certifications"),
    "placements.": _l("imported training records"),
    "access_review.": _l("monthly access reviews"),
    "retention.": _l("retention of personal data"),
}


AUDIT_PAGE_SIZE = 50


@bp.get("/audit")
@require("audit.view")
def audit_log() -> ResponseReturnValue:
    form = LogFilterForm(request.args)
    filters = {"q": "", "action": "", "date_from": None, "date_to": None}
    if form.validate():
        filters.update({name: getattr(form, name).data or filters[name] for name in filters})
    page = paging.keyset(services.audit_query(**filters), AuditEntry.id, AUDIT_PAGE_SIZE)
    audit.log_list_access(
        acting_user(),
        "admin.audit",
        {
            "search": filters["q"],
            "action": str(AUDIT_AREAS.get(filters["action"], filters["action"])),
            "period": _period(filters["date_from"], filters["date_to"]),
            "page": _keyset_page_label(page),
        },
        len(page.items),
    )
    html = render_template(
        "admin/audit.html",
        page=page,
        form=form,
        actions=list(AUDIT_AREAS.items()),
        # Each message and label looked up once a page, each entry's sentences kept.
        audit_entry=EntryReader(figures_cache.current_version()).describe,
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _keyset_page_label(page: paging.KeysetPage) -> str | None:
    """Which page of a log was shown, as the access log reads it; None for the newest."""
    if page.asked is None:
        return None
    way, key = page.asked
    if way == "before":
        return gettext("entries before no. %(key)d", key=key)
    return gettext("entries after no. %(key)d", key=key)


def _period(date_from: date | None, date_to: date | None) -> str:
    if not (date_from or date_to):
        return ""
    return f"{date_from.isoformat() if date_from else ''}–{date_to.isoformat() if date_to else ''}"


ACCESS_LOG_PAGE_SIZE = 50


@bp.get("/access-log")
@require("audit.view")
def access_log() -> ResponseReturnValue:
    """Newest first, 50 a page, filtered by who looked, whose data, action and Seoul dates.

    Reading the access log is not itself logged: it is the record, and only administrators
    may open it. Keyset pages (before=/after= an entry's number), never COUNT(*) over two
    years of log nor an OFFSET that reads every skipped row.
    """
    form = AccessLogFilterForm(request.args)
    form.validate()  # a field in error is shown beside its message and not applied
    filters = {
        name: getattr(form, name).data or default
        for name, default in (
            ("who", ""),
            ("person", ""),
            ("action", ""),
            ("date_from", None),
            ("date_to", None),
        )
        if not getattr(form, name).errors
    }
    page = paging.keyset(
        services.access_query(**filters), PersonalDataAccess.id, ACCESS_LOG_PAGE_SIZE
    )
    return render_template(
        "admin/access_log.html",
        page=page,
        form=form,
        describe=audit.describe,
        reason_text=audit.reason_text,
    )


@bp.get("/api-tokens")
@require("api_token.manage")
def api_tokens() -> ResponseReturnValue:
    """Every working API token, whoever made it, with a button to revoke it."""
    from ..api.tokens import RESOURCES, working_tokens_query

    page = paging.numbered(working_tokens_query(), per_page=50)
    return render_template("admin/api_tokens.html", page=page, resource_labels=RESOURCES)
