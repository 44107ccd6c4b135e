"""Routes of a running cohort: calendar, events, roster, attendance, completion, deposits."""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from sqlalchemy.orm import joinedload, lazyload
from wtforms import SelectChoice

from .. import audit
from ..auth.forms import ButtonForm
from ..clock import SEOUL
from ..downloads import file_response
from ..errors import DomainError, each_error
from ..extensions import db
from ..forms import finish, flash_form_errors, form_fields, show_domain_error, validate_all
from ..models import (
    AttendanceStatus,
    ClassDay,
    Cohort,
    CohortEvent,
    DropReason,
    Enrollment,
    EnrollmentStatus,
    EventKind,
    User,
)
from ..permissions import acting_user, load_in_scope, require
from . import bp, roster, roster_pages
from .forms import (
    ClassDayForm,
    DepositForm,
    EventForm,
    RosterExportForm,
    RosterRulesForm,
    StatusForm,
)
from .routes import url_parts


def _labels() -> dict:
    return {
        "status_label": roster.enrollment_status_label,
        "attendance_label": roster.attendance_label,
        "deposit_label": roster.deposit_label,
        "drop_reason_label": roster.drop_reason_label,
        "flag_label": roster.flag_label,
        "event_kind_label": roster.event_kind_label,
        "times_text": roster_pages.times_text,
    }


def _in_cohort(model: type, object_id: int, cohort: Cohort):
    options = []
    if model is Enrollment:
        # The cohort is loaded already (and found again by its id without a query): only
        # the trainee is joined, not the cohort's course and campus a second time.
        options = [lazyload(Enrollment.cohort), joinedload(Enrollment.user).lazyload(User.campus)]
    obj = db.session.get(model, object_id, options=options)
    if obj is None or obj.cohort_id != cohort.id:
        abort(404)
    return obj


# --- calendar -------------------------------------------------------------------------


@bp.get("/<int:cohort_id>/calendar")
@require("roster.view")
def calendar(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    return _calendar_page(cohort)


_CALENDAR_FORMS = "cohorts/_calendar_forms.html"


def _event_form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.kind.choices = [SelectChoice(k.value, roster.event_kind_label(k)) for k in EventKind]
    return form


def _calendar_page(
    cohort: Cohort,
    *,
    day_form: ClassDayForm | None = None,
    event_form: EventForm | None = None,
    rules_form: RosterRulesForm | None = None,
) -> ResponseReturnValue:
    """One month of the calendar (`?month=2026-09`, today's by default); a form posted
    from it comes back with every problem beside its field."""
    today = roster.today_in_seoul()
    return render_template(
        "cohorts/calendar.html",
        cohort=cohort,
        calendar=roster_pages.calendar_month(cohort, request.args.get("month"), today),
        events=roster.events(cohort),
        # A blank form's fields are rendered once per language and kept (form_fields).
        day_fields=form_fields(_CALENDAR_FORMS, "day_fields", day_form, ClassDayForm),
        event_fields=form_fields(_CALENDAR_FORMS, "event_fields", event_form, _event_form),
        rules_form=rules_form or RosterRulesForm(formdata=None, obj=cohort),
        holidays=roster.korean_holidays(cohort.start_on, cohort.end_on, str(get_locale())),
        today=today,
        attendance_url=url_parts("cohorts.attendance", "day_id", cohort_id=cohort.id),
        cancel_url=url_parts("cohorts.cancel_day", "day_id", cohort_id=cohort.id),
        event_kind_label=roster.event_kind_label,
    )


def _month_url(cohort_id: int, day) -> str:
    """The calendar at the month of the day (a date or None for today's month)."""
    month = day.strftime("%Y-%m") if day else None
    return url_for("cohorts.calendar", cohort_id=cohort_id, month=month)


@bp.post("/<int:cohort_id>/calendar/generate")
@require("calendar.manage")
def generate_calendar(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    added, removed = roster.generate_class_days(acting_user(), cohort)
    db.session.commit()
    flash(
        gettext(
            "Class days generated: %(added)d added, %(removed)d removed.",
            added=added,
            removed=removed,
        ),
        "success",
    )
    return redirect(url_for("cohorts.calendar", cohort_id=cohort_id))


@bp.post("/<int:cohort_id>/calendar/rules")
@require("calendar.manage")
def roster_rules(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = RosterRulesForm()
    target = url_for("cohorts.calendar", cohort_id=cohort_id)
    values = {
        name: getattr(form, name).data
        for name in (
            "class_weekdays",
            "class_starts_at",
            "class_ends_at",
            "lates_per_absence",
            "grace_minutes",
            "completion_threshold",
            "deposit_amount",
        )
    }
    if form.deposit_amount.raw_data in ([], [""]):
        values["deposit_amount"] = 0  # left empty: no deposit
    if not validate_all(form, partial(roster.check_rules, **values)):
        return _calendar_page(cohort, rules_form=form)
    try:
        roster.update_rules(acting_user(), cohort, **values)
    except DomainError as error:
        return finish(error, "", target)
    return finish(None, gettext("Roster rules saved."), target)


@bp.post("/<int:cohort_id>/calendar/days")
@require("calendar.manage")
def add_day(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = ClassDayForm()
    target = _month_url(cohort_id, form.day.data)
    if not validate_all(form, partial(roster.check_class_day, cohort, form.day.data)):
        return _calendar_page(cohort, day_form=form)
    try:
        roster.add_class_day(acting_user(), cohort, form.day.data, form.note.data or "")
    except DomainError as error:
        return finish(error, "", target)
    return finish(None, gettext("Class day added."), target)


@bp.post("/<int:cohort_id>/calendar/days/<int:day_id>/cancel")
@require("calendar.manage")
def cancel_day(cohort_id: int, day_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    class_day = _in_cohort(ClassDay, day_id, cohort)
    target = _month_url(cohort_id, class_day.day)
    try:
        roster.cancel_class_day(acting_user(), class_day, request.form.get("note", ""))
    except DomainError as error:
        return finish(error, "", target)
    return finish(None, gettext("Class day cancelled."), target)


@bp.post("/<int:cohort_id>/events")
@require("calendar.manage")
def add_event(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = _event_form()
    target = url_for("cohorts.calendar", cohort_id=cohort_id)
    starts_at = form.starts_at.data.replace(tzinfo=SEOUL) if form.starts_at.data else None
    ends_at = form.ends_at.data.replace(tzinfo=SEOUL) if form.ends_at.data else None
    check = partial(
        roster.check_event,
        cohort,
        kind=form.kind.data,
        title=form.title.data,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if not validate_all(form, check):
        return _calendar_page(cohort, event_form=form)
    try:
        roster.create_event(
            acting_user(),
            cohort,
            kind=form.kind.data,
            title=form.title.data,
            starts_at=starts_at,
            ends_at=ends_at,
            place=form.place.data or "",
            description=form.description.data or "",
        )
    except DomainError as error:
        return finish(error, "", target)
    return finish(None, gettext("Event added to the calendar."), target)


@bp.post("/<int:cohort_id>/events/<int:event_id>/delete")
@require("calendar.manage")
def delete_event(cohort_id: int, event_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    event = _in_cohort(CohortEvent, event_id, cohort)
    roster.delete_event(acting_user(), event)
    return finish(None, gettext("Event removed."), url_for("cohorts.calendar", cohort_id=cohort_id))


# --- roster and attendance ------------------------------------------------------------


@bp.get("/<int:cohort_id>/roster")
@require("roster.view")
def roster_page(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    sort = request.args.get("sort", "name")
    sort = sort if sort in roster_pages.ROSTER_SORTS else "name"
    rows = roster_pages.roster_rows(cohort, sort)
    audit.log_list_access(
        acting_user(),
        "cohorts.roster",
        {},
        len(rows),
        scope=cohort,
        scope_label=cohort.label(),
    )
    html = render_template(
        "cohorts/roster.html",
        cohort=cohort,
        rows=rows,
        sort=sort,
        latest_day=roster_pages.latest_class_day(cohort, roster.today_in_seoul()),
        trainee_url=url_parts("cohorts.trainee", "enrollment_id", cohort_id=cohort.id)[0],
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.route("/<int:cohort_id>/roster/export", methods=["GET", "POST"])
@require("roster.export")
def export_roster(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = RosterExportForm()
    if form.validate_on_submit():
        content, mimetype, filename = roster_pages.export(
            acting_user(), cohort, form.format.data, form.reason.data
        )
        db.session.commit()
        return file_response(content, mimetype, filename)
    return render_template("cohorts/roster_export.html", cohort=cohort, form=form)


@bp.route("/<int:cohort_id>/attendance/<int:day_id>", methods=["GET", "POST"])
@require("attendance.record")
def attendance(cohort_id: int, day_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    class_day = _in_cohort(ClassDay, day_id, cohort)
    form = ButtonForm()
    marks: dict[int, tuple[str, str]] = {}
    errors: dict[int, list[str]] = {}  # enrollment id -> the problems beside its note
    if form.validate_on_submit():
        for name, value in request.form.items():
            if name.startswith("status-") and name[7:].isdigit():
                enrollment_id = int(name[7:])
                marks[enrollment_id] = (value, request.form.get(f"note-{enrollment_id}", ""))
        try:
            changed = roster.record_attendance(acting_user(), cohort, class_day, marks)
        except DomainError as error:
            db.session.rollback()
            for problem in each_error(error):
                field = problem.field or ""
                if field.startswith("note-") and field[5:].isdigit():
                    errors.setdefault(int(field[5:]), []).append(problem.message)
                else:
                    flash(problem.message, "danger")
            if errors:
                flash(gettext("Nothing was saved: see the rows marked below."), "danger")
        else:
            db.session.commit()
            flash(gettext("Attendance saved (%(n)d changed).", n=changed), "success")
            return redirect(url_for("cohorts.roster_page", cohort_id=cohort_id))
    rows = roster_pages.sheet_rows(cohort, class_day)
    for row in rows:  # a refused sheet comes back as it was sent, with its problems
        if row.enrollment_id in marks:
            row.status, row.note = marks[row.enrollment_id][0], marks[row.enrollment_id][1]
    audit.log_list_access(
        acting_user(),
        "cohorts.attendance",
        {"day": class_day.day.isoformat()},
        len(rows),
        scope=cohort,
        scope_label=cohort.label(),
    )
    html = render_template(
        "cohorts/attendance.html",
        cohort=cohort,
        class_day=class_day,
        rows=rows,
        # (value, label, button colour) of each mark, worked out once for every row
        statuses=[
            (
                s.value,
                roster.attendance_label(s),
                {"present": "success", "absent": "danger"}.get(s.value, "secondary"),
            )
            for s in AttendanceStatus
        ],
        form=form,
        errors=errors,
        today=roster.today_in_seoul(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _status_form(enrollment: Enrollment, *, fresh: bool = False) -> StatusForm:
    """The status form: as posted, or (on a GET, or `fresh`) filled from the enrollment."""
    fresh = fresh or request.method == "GET"
    form = StatusForm(formdata=None) if fresh else StatusForm()
    form.status.choices = [
        SelectChoice(s.value, roster.enrollment_status_label(s)) for s in EnrollmentStatus
    ]
    form.drop_reason.choices = [SelectChoice("", "—")] + [
        SelectChoice(r.value, roster.drop_reason_label(r)) for r in DropReason
    ]
    if fresh:
        form.status.data = enrollment.status.value
        form.on.data = enrollment.status_on
        form.note.data = enrollment.status_note
        form.drop_reason.data = enrollment.drop_reason.value if enrollment.drop_reason else ""
    return form


def _deposit_form(**kwargs) -> DepositForm:
    form = DepositForm(**kwargs)
    form.action.choices = [
        SelectChoice("paid", gettext("Paid")),
        SelectChoice("refunded", gettext("Refunded")),
        SelectChoice("forfeited", gettext("Forfeited")),
    ]
    return form


def _trainee_page(
    cohort: Cohort,
    enrollment: Enrollment,
    status_form: StatusForm,
    summary,
    deposit_form: DepositForm | None = None,
) -> ResponseReturnValue:
    deposit_form = deposit_form or _deposit_form(formdata=None)
    return render_template(
        "cohorts/trainee.html",
        cohort=cohort,
        enrollment=enrollment,
        summary=summary,
        record=roster_pages.attendance_record(enrollment, roster.today_in_seoul()),
        status_form=status_form,
        deposit_form=deposit_form,
        **_labels(),
    )


@bp.get("/<int:cohort_id>/roster/<int:enrollment_id>")
@require("roster.view")
def trainee(cohort_id: int, enrollment_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    enrollment = _in_cohort(Enrollment, enrollment_id, cohort)
    roster.log_trainee_view(acting_user(), enrollment)
    html = _trainee_page(
        cohort, enrollment, _status_form(enrollment), roster.summary_of(enrollment)
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/<int:cohort_id>/roster/<int:enrollment_id>/status")
@require("roster.manage")
def trainee_status(cohort_id: int, enrollment_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    enrollment = _in_cohort(Enrollment, enrollment_id, cohort)
    summary = roster.summary_of(enrollment)
    form = _status_form(enrollment)
    if form.validate_on_submit():
        try:
            roster.set_status(
                acting_user(),
                enrollment,
                form.status.data,
                on=form.on.data,
                drop_reason=form.drop_reason.data,
                note=form.note.data or "",
                rate=summary.rate if summary else None,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "%(name)s is now “%(status)s”.",
                    name=enrollment.user.name,
                    status=roster.enrollment_status_label(enrollment.status),
                ),
                "success",
            )
            return redirect(
                url_for("cohorts.trainee", cohort_id=cohort_id, enrollment_id=enrollment_id)
            )
    return _trainee_page(cohort, enrollment, form, summary)


@bp.post("/<int:cohort_id>/roster/<int:enrollment_id>/deposit")
@require("roster.manage")
def deposit(cohort_id: int, enrollment_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    enrollment = _in_cohort(Enrollment, enrollment_id, cohort)
    form = _deposit_form()
    target = url_for("cohorts.trainee", cohort_id=cohort_id, enrollment_id=enrollment_id)
    check = partial(roster.check_deposit, enrollment, form.action.data, form.on.data)
    if not validate_all(form, check):
        if not cohort.deposit_amount:  # the page shows no deposit form
            flash_form_errors(form)
            return redirect(target)
        summary = roster.summary_of(enrollment)
        status_form = _status_form(enrollment, fresh=True)
        return _trainee_page(cohort, enrollment, status_form, summary, deposit_form=form)
    try:
        roster.record_deposit(acting_user(), enrollment, form.action.data, form.on.data)
    except DomainError as error:
        return finish(error, "", target)
    return finish(None, gettext("Deposit updated."), target)


@bp.get("/<int:cohort_id>/deposits")
@require("roster.view")
def deposits(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    enrollments = roster.roster(cohort)
    if cohort.deposit_amount:  # without a deposit the page names nobody
        audit.log_list_access(
            acting_user(),
            "cohorts.deposits",
            {},
            len(enrollments),
            scope=cohort,
            scope_label=cohort.label(),
        )
    html = render_template(
        "cohorts/deposits.html",
        cohort=cohort,
        due=roster.refunds_due(cohort),
        enrollments=enrollments,
        **_labels(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


# --- the trainee's own page -----------------------------------------------------------


@bp.get("/me")
@require("trainee.self")
def my_training() -> ResponseReturnValue:
    user = acting_user()
    enrollments = roster.trainee_enrollments(user)
    selected_id = request.args.get("enrollment", type=int)
    enrollment = next(
        (e for e in enrollments if e.id == selected_id), enrollments[0] if enrollments else None
    )
    context = {}
    if enrollment is not None:
        cohort = enrollment.cohort
        records = roster.trainee_attendance(enrollment)
        today = roster.today_in_seoul()
        context = {
            "cohort": cohort,
            "records": records,
            "class_today": enrollment.status == EnrollmentStatus.ENROLLED
            and any(day.day == today and not day.cancelled for day, _ in records),
            "summary": roster.summary_of(enrollment),
            "events": roster.events(cohort),
        }
    return render_template(
        "cohorts/me.html",
        enrollments=enrollments,
        enrollment=enrollment,
        today=roster.today_in_seoul(),
        **context,
        **_labels(),
    )
