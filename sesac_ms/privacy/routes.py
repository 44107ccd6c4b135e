"""Routes of "My data": a trainee's page and downloads, an applicant's by their status link,
and the campus's list of requests with the page that answers one."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext

from .. import audit, paging
from ..admin.forms import ROLE_LABELS
from ..applications.forms import EDUCATION_LABELS, EMPLOYMENT_LABELS
from ..applications.services import find_by_token, flag_message, stage_label
from ..cohorts import roster
from ..cohorts.roster_pages import times_text
from ..downloads import file_response
from ..extensions import db
from ..forms import attempt, show_domain_error, validate_all
from ..models import Application, User
from ..models.audit import AccessAction
from ..notify.preferences import channel_label
from ..permissions import PUBLIC, acting_user, require
from ..placements.forms import (
    EMPLOYMENT_TYPE_LABELS,
    EXCLUSION_LABELS,
    OUTCOME_LABELS,
    REFERRAL_LABELS,
    RETENTION_LABELS,
    SALARY_BAND_LABELS,
    STATE_LABELS,
    VERIFICATION_LABELS,
)
from ..rate_limits import STATUS_ACTION, minutes, wait_for
from ..sessions.services import kind_label as session_kind_label
from ..sessions.services import status_label as session_status_label
from . import bp, requests
from .export import (
    applicant_export,
    application_consents,
    as_json,
    consents_of,
    filename,
    person_export,
)
from .forms import RequestForm, ResolveForm

PAGE_SIZE = 50

# The printable page is one file that still reads when saved: its style is inside it, and
# this response's policy allows exactly that style (by its hash), nothing else inline.
PRINT_CSS = """
body{font-family:"Pretendard Variable",system-ui,sans-serif;color:#111;margin:2rem auto;
max-width:60rem;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.25rem}h2{font-size:1.2rem;border-bottom:2px solid #333;
margin-top:2rem;padding-bottom:.2rem;break-after:avoid}h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f1f1f1}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
.muted{color:#555;font-size:.9rem}.health{border:2px solid #b02a37;padding:.5rem;margin:.5rem 0}
.tag{display:inline-block;border:1px solid #b02a37;color:#b02a37;padding:0 .3rem;font-size:.8rem}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
dl.stacked{display:block}dl.stacked dd{margin:0 0 .6rem}
dt{overflow-wrap:anywhere}
@media (max-width:40rem){dl{display:block}dd{margin:0 0 .5rem}
table{display:block;overflow-x:auto}}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
"""
_CSS_HASH = base64.b64encode(hashlib.sha256(PRINT_CSS.encode()).digest()).decode()
PRINT_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"style-src 'sha256-{_CSS_HASH}'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def _table(labels: dict) -> Any:
    return lambda value: str(labels[value]) if value in labels else value


def _labels() -> dict[str, Any]:
    """The labels every page here reads values with."""
    return {
        "stage_label": stage_label,
        "flag_message": flag_message,
        "role_label": _table(ROLE_LABELS),
        "channel_label": channel_label,
        "employment_label": _table(EMPLOYMENT_LABELS),
        "education_label": _table(EDUCATION_LABELS),
        "enrollment_status_label": roster.enrollment_status_label,
        "attendance_label": roster.attendance_label,
        "deposit_label": roster.deposit_label,
        "drop_reason_label": roster.drop_reason_label,
        "times_text": times_text,
        "session_kind_label": session_kind_label,
        "session_status_label": session_status_label,
        "outcome_label": _table(OUTCOME_LABELS),
        "employment_type_label": _table(EMPLOYMENT_TYPE_LABELS),
        "exclusion_label": _table(EXCLUSION_LABELS),
        "salary_label": _table(SALARY_BAND_LABELS),
        "verification_label": _table(VERIFICATION_LABELS),
        "verification_state_label": _table(STATE_LABELS),
        "retention_label": _table(RETENTION_LABELS),
        "referral_label": _table(REFERRAL_LABELS),
        "request_kind_label": requests.kind_label,
        "request_status_label": requests.status_label,
    }


def _printable(export: dict[str, Any], download: bool) -> Response:
    html = render_template(
        "privacy/export.html", export=export, css=PRINT_CSS, download=download, **_labels()
    )
    response = file_response(html, "text/html", filename(export, "html"), attachment=download)
    response.headers["Content-Security-Policy"] = PRINT_POLICY
    return response


def _log_download(
    subject: User | Application, label: str, page: str, fmt: str, actor: User | None
) -> None:
    """The person downloading their own data: a download in the access log, like any other."""
    audit.record_access(
        actor,
        AccessAction.DOWNLOAD,
        label,
        subject=subject,
        page=page,
        detail=fmt,
        reason=audit.SELF_ACCESS_REASON,
    )


# --- the trainee's own page --------------------------------------------------------------


def _my_page(form: RequestForm) -> ResponseReturnValue:
    user = acting_user()
    return render_template(
        "privacy/me.html",
        form=form,
        consents=consents_of(user),
        my_requests=requests.requests_of(user=user),
        due_days=requests.DUE_DAYS,
        **_labels(),
    )


@bp.get("/me")
@require("mydata.self")
def me() -> ResponseReturnValue:
    return _my_page(RequestForm(formdata=None))


def _flash_sent() -> None:
    """The one confirmation of a sent request, trainee's or applicant's, with its deadline."""
    flash(
        gettext(
            "Your request is sent. The campus answers by %(date)s; the answer "
            "appears on this page.",
            date=format_date(requests.due_for(roster.today_in_seoul()), "medium"),
        ),
        "success",
    )


@bp.post("/me/requests")
@require("mydata.self")
def ask() -> ResponseReturnValue:
    user = acting_user()
    form = RequestForm()
    kind, body = form.kind.data, form.text.data or ""
    if validate_all(form, lambda: requests.check_request(kind, body)):
        error = attempt(lambda: requests.ask(user, kind, body, user=user))
        if error is None:
            db.session.commit()
            _flash_sent()
            return redirect(url_for("privacy.me"))
        db.session.rollback()
        show_domain_error(form, error)
    return _my_page(form)


def _user_label(user: User) -> str:
    return f"{user.name} <{user.email}>"


@bp.get("/me/data.json")
@require("mydata.self")
def my_data_json() -> ResponseReturnValue:
    user = acting_user()
    export = person_export(user)
    _log_download(user, _user_label(user), "privacy.my_data", "JSON", user)
    db.session.commit()
    return file_response(as_json(export), "application/json", filename(export, "json"))


@bp.get("/me/data.html")
@require("mydata.self")
def my_data_html() -> ResponseReturnValue:
    user = acting_user()
    export = person_export(user)
    _log_download(user, _user_label(user), "privacy.my_data", "HTML", user)
    db.session.commit()
    return _printable(export, download=request.args.get("download") == "1")


# --- the applicant's, by their private status link ----------------------------------------


def _by_token(token: str) -> Application:
    application = find_by_token(token)
    if application is None:
        abort(404)
    return application


def _applicant_page(
    application: Application, token: str, form: RequestForm, wait: int = 0
) -> ResponseReturnValue:
    page = render_template(
        "privacy/applicant.html",
        application=application,
        token=token,
        form=form,
        consents=application_consents(application),
        my_requests=requests.requests_of(application=application),
        due_days=requests.DUE_DAYS,
        wait_minutes=minutes(wait) if wait else None,
        **_labels(),
    )
    if wait:
        return page, 429, {"Retry-After": str(wait)}
    return page


@bp.get("/applicant/<token>")
@require(PUBLIC)
def applicant(token: str) -> ResponseReturnValue:
    return _applicant_page(_by_token(token), token, RequestForm(formdata=None))


@bp.post("/applicant/<token>/requests")
@require(PUBLIC)
def applicant_ask(token: str) -> ResponseReturnValue:
    application = _by_token(token)
    form = RequestForm()
    kind, body = form.kind.data, form.text.data or ""
    if validate_all(form, lambda: requests.check_request(kind, body)):
        wait = wait_for(STATUS_ACTION)  # counted once the request is one we would keep
        if wait:
            return _applicant_page(application, token, form, wait)
        error = attempt(lambda: requests.ask(None, kind, body, application=application))
        if error is None:
            db.session.commit()
            _flash_sent()
            return redirect(url_for("privacy.applicant", token=token))
        db.session.rollback()
        show_domain_error(form, error)
    return _applicant_page(application, token, form)


def _applicant_download(token: str, fmt: str) -> ResponseReturnValue:
    application = _by_token(token)
    wait = wait_for(STATUS_ACTION)
    if wait:
        return _applicant_page(application, token, RequestForm(formdata=None), wait)
    export = applicant_export(application)
    label = f"{application.name} <{application.email}>"
    _log_download(application, label, "privacy.applicant_data", fmt, None)
    db.session.commit()
    if fmt == "JSON":
        return file_response(as_json(export), "application/json", filename(export, "json"))
    return _printable(export, download=request.args.get("download") == "1")


@bp.get("/applicant/<token>/data.json")
@require(PUBLIC)
def applicant_data_json(token: str) -> ResponseReturnValue:
    return _applicant_download(token, "JSON")


@bp.get("/applicant/<token>/data.html")
@require(PUBLIC)
def applicant_data_html(token: str) -> ResponseReturnValue:
    return _applicant_download(token, "HTML")


# --- the campus's answers ----------------------------------------------------------------


@bp.get("/requests")
@require("datarequest.manage")
def request_list() -> ResponseReturnValue:
    viewer = acting_user()
    show = "all" if request.args.get("show") == "all" else "open"
    page = paging.numbered(requests.request_rows_query(viewer, show), per_page=PAGE_SIZE)
    rows = requests.as_rows(page.items)
    audit.log_list_access(
        viewer,
        "privacy.requests",
        {"showing": "all" if show == "all" else None, "page": page.page if page.page > 1 else None},
        len(rows),
    )
    html = render_template(
        "privacy/requests.html",
        page=page,
        rows=rows,
        show=show,
        counts=requests.open_counts(viewer),
        **_labels(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.route("/requests/<int:request_id>", methods=["GET", "POST"])
@require("datarequest.manage")
def request_page(request_id: int) -> ResponseReturnValue:
    viewer = acting_user()
    row = requests.request_row(viewer, request_id)
    if row is None:
        abort(404)  # also a request of another campus
    form = ResolveForm()
    answer, note = form.status.data, form.note.data or ""
    if row.request.is_open and validate_all(form, lambda: requests.check_resolution(answer, note)):
        error = attempt(lambda: requests.resolve(viewer, row.request, answer, note))
        if error is None:
            db.session.commit()
            flash(gettext("The answer is saved; the person sees it on their page."), "success")
            return redirect(url_for("privacy.request_list"))
        db.session.rollback()
        row = requests.request_row(viewer, request_id)
        show_domain_error(form, error)
    if row.name is not None:
        audit.record_access(
            viewer,
            AccessAction.VIEW,
            f"{row.name} <{row.email}>",
            subject=row.request,
            page="privacy.request",
            person=db.session.get(User, row.request.user_id) if row.request.user_id else None,
        )
    html = render_template("privacy/request.html", row=row, form=form, **_labels())
    db.session.commit()  # the access-log entry
    return html
