"""Routes of the sessions blueprint."""

from __future__ import annotations

from calendar import Calendar
from datetime import date, datetime, timedelta
from functools import partial

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from wtforms import SelectChoice

from .. import audit
from ..auth.forms import ButtonForm
from ..clock import SEOUL, now_in_seoul, today_in_seoul
from ..errors import DomainError, each_error
from ..extensions import db
from ..forms import attempt, finish, show_domain_error, validate_all
from ..models import (
    AvailabilitySlot,
    CoachingSession,
    Cohort,
    FollowUp,
    Role,
    User,
)
from ..permissions import PUBLIC, acting_user, load_in_scope, require
from . import agenda, bp, schedule_lines, services
from . import coverage as coverage_rows
from . import picker as pickers
from .forms import LogForm, QuickLogForm, ReasonForm, RescheduleForm, ScheduleForm, SlotForm

# The services name the trainee "trainee_id"; the forms call the field "trainee".
TRAINEE_FIELD = {"trainee_id": "trainee"}


def _local(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=SEOUL) if value is not None else None


def _labels() -> dict:
    return {"kind_label": services.kind_label, "status_label": services.status_label}


def _month(value: str | None) -> date:
    today = today_in_seoul()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if not 1900 <= year <= 2999:  # the page steps a month either way: no date overflow
            raise ValueError(value)
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@bp.get("/")
@require("schedule.view")
def schedule() -> ResponseReturnValue:
    user = acting_user()
    month = _month(request.args.get("month"))
    weeks = Calendar(firstweekday=6).monthdatescalendar(month.year, month.month)
    today = today_in_seoul()
    spans = (weeks[0][0], weeks[-1][-1]), (today, today + timedelta(days=14))
    # Hundreds of links to sessions: the URL up to the id once, not url_for per link.
    session_url = url_for("sessions.show", session_id=0).removesuffix("0")
    if user.role == Role.TRAINEE:
        shown = schedule_lines.trainee_schedule(user, *spans, session_url=session_url)
    else:
        # Staff come to their schedule for 1:1 sessions: a day's classes are one line in
        # the month, a week of a cohort's classes one line in the next two weeks.
        shown = schedule_lines.staff_schedule(user, *spans, session_url=session_url)
    if user.role != Role.TRAINEE and shown.trainees:
        audit.log_list_access(
            user, "sessions.schedule", {"month": month.strftime("%Y-%m")}, shown.trainees
        )
    html_lines = schedule_lines.as_html(shown)
    weekdays = agenda.weekday_names()

    def cell_class(day: date) -> str:  # days of the months around muted, today marked
        muted = "text-muted" if day.month != month.month else ""
        return f"{muted} table-active" if day == today else muted

    html = render_template(
        "sessions/schedule.html",
        month=month,
        # Each day of the month view as its cell's classes, its number and its lines.
        weeks=[
            [(cell_class(day), day.day, html_lines.month.get(day, "")) for day in week]
            for week in weeks
        ],
        weekdays=[weekdays[day.weekday()] for day in weeks[0]],
        upcoming=html_lines.upcoming,
        previous=(month - timedelta(days=1)).replace(day=1),
        following=(month + timedelta(days=32)).replace(day=1),
        follow_ups=services.open_follow_ups(user) if user.role.value == "trainee" else [],
        feed=agenda.feed_link(user),
        button=ButtonForm(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/feed-link")
@require("schedule.view")
def create_feed_link() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    agenda.new_feed_link(acting_user())
    db.session.commit()
    flash(gettext("Your private calendar link is ready; an older link no longer works."), "success")
    return redirect(url_for("sessions.schedule"))


@bp.post("/feed-link/revoke")
@require("schedule.view")
def revoke_feed_link() -> ResponseReturnValue:
    if not ButtonForm().validate_on_submit():
        abort(400)
    agenda.revoke_feed(acting_user())
    db.session.commit()
    flash(gettext("Your calendar link is revoked."), "success")
    return redirect(url_for("sessions.schedule"))


@bp.get("/feed/<token>.ics")
@require(PUBLIC)
def feed(token: str) -> ResponseReturnValue:
    user = agenda.user_for_feed(token)
    if user is None:
        abort(404)
    return Response(
        agenda.ical(user),
        mimetype="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": "inline; filename=sesac.ics",
        },
    )


# --- trainee booking ---------------------------------------------------------------------


@bp.get("/book")
@require("session.book")
def book() -> ResponseReturnValue:
    return render_template(
        "sessions/book.html",
        slots=services.open_slots_for(acting_user()),
        button=ButtonForm(),
        **_labels(),
    )


@bp.post("/book/<int:slot_id>")
@require("session.book")
def book_slot(slot_id: int) -> ResponseReturnValue:
    slot = db.get_or_404(AvailabilitySlot, slot_id)
    if not services.slot_of_my_cohort(acting_user(), slot):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        session = services.book_slot(acting_user(), slot)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("sessions.book"))
    db.session.commit()
    flash(
        gettext(
            "Booked: %(kind)s with %(name)s.",
            kind=services.kind_label(session.kind),
            name=session.staff.name,
        ),
        "success",
    )
    return redirect(url_for("sessions.show", session_id=session.id))


# --- staff: availability, scheduling, logging --------------------------------------------


@bp.route("/slots", methods=["GET", "POST"])
@require("session.manage")
def slots() -> ResponseReturnValue:
    form = SlotForm()
    # The "publish anyway" box appears beside the time once some cohorts have class then.
    class_warning = bool(form.during_class.data)
    values = {
        "kind": form.kind.data,
        "starts_at": _local(form.starts_at.data),
        "location": form.location.data,
        "weeks": form.weeks.data,
        "during_class": bool(form.during_class.data),
    }
    refused: list[DomainError] = []

    def check() -> object:
        try:
            return services.check_slots(acting_user(), **values)
        except DomainError as error:
            refused.extend(each_error(error))
            raise

    valid = validate_all(form, check)
    for problem in refused:  # the class-hours refusal says whether to offer the box
        if isinstance(problem, services.ClassHours):
            class_warning = problem.warning
    if valid:
        try:
            created = services.publish_slots(acting_user(), **values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
            if isinstance(error, services.ClassHours):
                class_warning = error.warning
        else:
            db.session.commit()
            flash(gettext("%(n)d time(s) published.", n=len(created)), "success")
            return redirect(url_for("sessions.slots"))
    slots = services.my_slots(acting_user())
    booked_by = {slot.trainee_id for slot in slots if slot.session_id is not None}
    if booked_by:
        audit.log_list_access(acting_user(), "sessions.slots", {}, len(booked_by))
    html = render_template(
        "sessions/slots.html",
        form=form,
        class_warning=class_warning,
        class_hours=services.class_hours_of(acting_user()),
        slots=slots,
        button=ButtonForm(),
        **_labels(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


@bp.post("/slots/<int:slot_id>/delete")
@require("session.manage")
def delete_slot(slot_id: int) -> ResponseReturnValue:
    slot = db.get_or_404(AvailabilitySlot, slot_id)
    if slot.staff_id != acting_user().id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return finish(
        attempt(lambda: services.delete_slot(acting_user(), slot)),
        gettext("Time removed."),
        url_for("sessions.slots"),
    )


def _trainee_choices(form_field) -> tuple[User | None, Cohort | None, pickers.TraineePicker]:
    """Fill the trainee select with the picker's few choices (see picker.trainee_picker);
    return the chosen trainee and cohort, if the staff member may schedule them."""
    picker = pickers.trainee_picker(acting_user(), request.args.get("q", ""))
    if request.method == "GET" and picker.query and len(picker.choices) == 1:
        form_field.data = picker.choices[0][0]  # the one match: chosen
    values = {value for value, _ in picker.choices}
    chosen = None
    trainee_id, _, cohort_id = (form_field.data or "").partition(":")
    if request.method == "POST" and trainee_id.isdigit() and cohort_id.isdigit():
        chosen = services.trainee_of(acting_user(), int(trainee_id), int(cohort_id))
    extra = []
    if chosen is not None and form_field.data not in values:  # chosen before a new search
        user, cohort = chosen
        extra = [(form_field.data, f"{user.name} · {cohort.label(str(get_locale()))}")]
    form_field.choices = [SelectChoice("", gettext("Choose…"))] + [
        SelectChoice(value, label) for value, label in [*extra, *picker.choices]
    ]
    user, cohort = chosen if chosen is not None else (None, None)
    return user, cohort, picker


@bp.get("/trainees")
@require("session.manage")
def trainee_search() -> ResponseReturnValue:
    """The trainee picker's search, for its script: the same choices as a reload with ?q=."""
    picker = pickers.trainee_picker(acting_user(), request.args.get("q", ""))
    return {"choices": picker.choices, "more": picker.more, "message": picker.message}


@bp.route("/new", methods=["GET", "POST"])
@require("session.manage")
def new() -> ResponseReturnValue:
    form = ScheduleForm()
    trainee, cohort, picker = _trainee_choices(form.trainee)
    check = partial(
        services.check_schedule,
        acting_user(),
        trainee=trainee,
        cohort=cohort,
        kind=form.kind.data,
        starts_at=_local(form.starts_at.data),
        minutes=form.minutes.data,
    )
    if validate_all(form, check, TRAINEE_FIELD):
        try:
            session = services.schedule(
                acting_user(),
                trainee=trainee,
                cohort=cohort,
                kind=form.kind.data,
                starts_at=_local(form.starts_at.data),
                minutes=form.minutes.data,
                location=form.location.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error, fields=TRAINEE_FIELD)
        else:
            db.session.commit()
            flash(
                gettext("Session scheduled; %(name)s was told by mail.", name=trainee.name),
                "success",
            )
            return redirect(url_for("sessions.show", session_id=session.id))
    return render_template("sessions/new.html", form=form, picker=picker)


@bp.route("/log", methods=["GET", "POST"])
@require("session.manage")
def quick_log() -> ResponseReturnValue:
    form = QuickLogForm()
    trainee, cohort, picker = _trainee_choices(form.trainee)
    if request.method == "GET" and not form.starts_at.data:
        now = now_in_seoul().replace(second=0, microsecond=0, tzinfo=None)
        form.starts_at.data = now - timedelta(minutes=30)
    check = partial(
        services.check_log_unscheduled,
        acting_user(),
        trainee=trainee,
        cohort=cohort,
        kind=form.kind.data,
        starts_at=_local(form.starts_at.data),
        minutes=form.minutes.data,
        follow_up_lines=form.follow_up_lines.data or "",
    )
    if validate_all(form, check, TRAINEE_FIELD):
        try:
            entry = services.SessionLog(
                form.summary.data,
                form.staff_notes.data or "",
                form.links.data or "",
                services.parse_follow_ups(form.follow_up_lines.data),
            )
            session = services.log_unscheduled(
                acting_user(),
                trainee=trainee,
                cohort=cohort,
                kind=form.kind.data,
                starts_at=_local(form.starts_at.data),
                minutes=form.minutes.data,
                location=form.location.data,
                entry=entry,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error, fields=TRAINEE_FIELD)
        else:
            db.session.commit()
            flash(gettext("Session logged."), "success")
            return redirect(url_for("sessions.show", session_id=session.id))
    return render_template("sessions/quick_log.html", form=form, picker=picker)


# --- one session --------------------------------------------------------------------------


def _load(session_id: int) -> CoachingSession:
    session = db.session.get(CoachingSession, session_id)
    if session is None or not services.can_see(acting_user(), session):
        abort(404)
    return session


@bp.get("/<int:session_id>")
@require("session.view")
def show(session_id: int) -> ResponseReturnValue:
    session = _load(session_id)
    return _show_page(session, LogForm(obj=session))


def _show_page(session: CoachingSession, log_form: LogForm) -> ResponseReturnValue:
    """The session's page; after a refused log, with its form's problems beside the fields."""
    follow_ups = db.session.scalars(
        db.select(FollowUp).where(FollowUp.session_id == session.id).order_by(FollowUp.id)
    ).all()
    services.log_view(acting_user(), session)
    html = render_template(
        "sessions/show.html",
        session=session,
        follow_ups=follow_ups,
        notes_visible=services.can_see_notes(acting_user(), session),
        is_staff=acting_user().id == session.staff_id,
        is_trainee=acting_user().id == session.trainee_id,
        log_form=log_form,
        reason_form=ReasonForm(),
        reschedule_form=RescheduleForm(),
        button=ButtonForm(),
        now=now_in_seoul(),
        **_labels(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _staff_session(session_id: int) -> CoachingSession:
    session = _load(session_id)
    if session.staff_id != acting_user().id:
        abort(403)
    return session


def _finish(error: DomainError | None, success: str, session_id: int) -> ResponseReturnValue:
    return finish(error, success, url_for("sessions.show", session_id=session_id))


@bp.post("/<int:session_id>/cancel")
@require("session.participate")
def cancel(session_id: int) -> ResponseReturnValue:
    session = _load(session_id)
    if acting_user().id not in (session.staff_id, session.trainee_id):
        abort(403)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _finish(DomainError(gettext("Give the reason for cancelling.")), "", session_id)
    try:
        services.cancel(acting_user(), session, form.reason.data)
    except DomainError as error:
        return _finish(error, "", session_id)
    return _finish(
        None, gettext("Session cancelled; the other person was told by mail."), session_id
    )


@bp.post("/<int:session_id>/reschedule")
@require("session.manage")
def reschedule(session_id: int) -> ResponseReturnValue:
    session = _staff_session(session_id)
    form = RescheduleForm()
    if not form.validate_on_submit():
        return _finish(DomainError(gettext("Enter the new time.")), "", session_id)
    try:
        services.reschedule(acting_user(), session, _local(form.starts_at.data))
    except DomainError as error:
        return _finish(error, "", session_id)
    return _finish(None, gettext("Session moved; the trainee was told by mail."), session_id)


@bp.post("/<int:session_id>/mark")
@require("session.manage")
def mark(session_id: int) -> ResponseReturnValue:
    session = _staff_session(session_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.mark(acting_user(), session, request.form.get("status", ""))
    except (DomainError, ValueError) as error:
        return _finish(
            error
            if isinstance(error, DomainError)
            else DomainError(gettext("Mark a session completed or no-show.")),
            "",
            session_id,
        )
    return _finish(
        None,
        gettext("Session marked “%(status)s”.", status=services.status_label(session.status)),
        session_id,
    )


@bp.post("/<int:session_id>/log")
@require("session.manage")
def log(session_id: int) -> ResponseReturnValue:
    session = _staff_session(session_id)
    form = LogForm()
    if not validate_all(form, lambda: services.parse_follow_ups(form.follow_up_lines.data)):
        return _show_page(session, form)
    try:
        services.log(
            acting_user(),
            session,
            services.SessionLog(
                form.summary.data,
                form.staff_notes.data or "",
                form.links.data or "",
                services.parse_follow_ups(form.follow_up_lines.data),
            ),
        )
    except DomainError as error:
        return _finish(error, "", session_id)
    return _finish(None, gettext("Session logged."), session_id)


@bp.post("/follow-ups/<int:follow_up_id>/done")
@require("session.participate")
def follow_up_done(follow_up_id: int) -> ResponseReturnValue:
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    session = _load(follow_up.session_id)
    if acting_user().id not in (session.staff_id, session.trainee_id):
        abort(403)
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.complete_follow_up(acting_user(), follow_up)
    db.session.commit()
    flash(gettext("Follow-up done."), "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("sessions.show", session_id=session.id)
    )


@bp.get("/coverage/<int:cohort_id>")
@require("coverage.view")
def coverage(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    rows, missing, no_show_rate = coverage_rows.coverage(cohort)
    audit.log_list_access(
        acting_user(),
        "sessions.coverage",
        {},
        len(rows),
        scope=cohort,
        scope_label=cohort.label(),
    )
    html = render_template(
        "sessions/coverage.html",
        cohort=cohort,
        rows=rows,
        missing=missing,
        no_show_rate=no_show_rate,
        contact=coverage_rows.to_contact(cohort, rows=rows),
        kinds=list(services.SessionKind),
        **_labels(),
    )
    db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html
