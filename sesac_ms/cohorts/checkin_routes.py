"""Self check-in pages: the classroom screen (managers) and the trainee's phone page.

Its own blueprint so the address a trainee types is short: /check-in.
"""

from __future__ import annotations

import segno
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_time, gettext
from flask_login import current_user

from ..clock import SEOUL
from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import show_domain_error
from ..links import external_url
from ..models import ClassDay, Cohort, Enrollment
from ..permissions import acting_user, load_in_scope, require
from ..rate_limits import checkin_limit
from . import checkin
from .forms import CheckInForm

bp = Blueprint("checkin", __name__, url_prefix="/check-in")


def _class_day(cohort: Cohort, day_id: int) -> ClassDay:
    class_day = db.session.get(ClassDay, day_id)
    if class_day is None or class_day.cohort_id != cohort.id:
        abort(404)
    return class_day


def _screen_state(cohort: Cohort, class_day: ClassDay) -> dict:
    """What the screen shows now: the code, its QR code, the seconds it has left, counts."""
    now = checkin.clock_now()
    code = checkin.screen_code(cohort, class_day.day, now)
    link = external_url("checkin.scan", cohort_id=cohort.id, token=code.token)
    arrived, left = checkin.day_counts(class_day)
    return {
        "code": code.code,
        "qr_svg": segno.make(link, error="m").svg_inline(
            scale=8, dark="#000", light="#fff", border=2
        ),
        "seconds_left": code.seconds_left,
        "arrived": arrived,
        "left": left,
        "open": checkin.is_open(cohort, class_day.day, now),
    }


@bp.get("/screen/<int:cohort_id>/<int:day_id>")
@require("checkin.screen")
def screen(cohort_id: int, day_id: int) -> ResponseReturnValue:
    """The classroom screen: a QR code and a 6-digit code that change every 30 seconds."""
    cohort = load_in_scope(Cohort, cohort_id)
    class_day = _class_day(cohort, day_id)
    today = checkin.seoul_today()
    showing = class_day.day == today and not class_day.cancelled
    state = _screen_state(cohort, class_day) if showing else None
    return render_template(
        "checkin/screen.html",
        cohort=cohort,
        class_day=class_day,
        showing=showing,
        state=state,
        today=today,
        typed_address=external_url("checkin.check_in"),
    )


@bp.get("/screen/<int:cohort_id>/<int:day_id>/code.json")
@require("checkin.screen")
def screen_code(cohort_id: int, day_id: int) -> ResponseReturnValue:
    """The screen's next code, fetched by its script when the current one runs out."""
    cohort = load_in_scope(Cohort, cohort_id)
    class_day = _class_day(cohort, day_id)
    if class_day.day != checkin.seoul_today() or class_day.cancelled:
        return jsonify({"showing": False})
    state = _screen_state(cohort, class_day)
    state["arrived_text"] = gettext(
        "%(arrived)d checked in · %(left)d checked out",
        arrived=state["arrived"],
        left=state["left"],
    )
    state["showing"] = True
    return jsonify(state)


def _status_line(direction: str, at) -> str:
    time = format_time(at.astimezone(SEOUL), "HH:mm")
    if direction == checkin.IN:
        return gettext("You checked in at %(time)s.", time=time)
    return gettext("You checked out at %(time)s.", time=time)


@bp.route("/", methods=["GET", "POST"])
@require("checkin.self")
@limiter.limit(
    checkin_limit, key_func=lambda: f"check-in:{current_user.get_id()}", methods=["POST"]
)
def check_in() -> ResponseReturnValue:
    """The trainee's page: type the code (or arrive from the QR code's link) and send."""
    trainee = acting_user()
    form = CheckInForm()
    today = checkin.seoul_today()
    if request.method == "GET":
        form.direction.data = checkin.current_direction(trainee, today)
    if form.validate_on_submit():
        cohort_id = int(form.cohort_id.data) if (form.cohort_id.data or "").isdigit() else None
        try:
            done = checkin.check_in(
                trainee, form.code.data, form.direction.data, cohort_id=cohort_id
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            return render_template(
                "checkin/done.html",
                message=_status_line(done.direction, done.at),
                cohort=done.cohort,
                direction=done.direction,
            )
    classes = checkin.todays_classes(trainee, today)
    return render_template("checkin/check_in.html", form=form, classes=classes)


@bp.get("/<int:cohort_id>/<token>")
@require("checkin.self")
def scan(cohort_id: int, token: str) -> ResponseReturnValue:
    """Where the QR code leads: the check-in page with the code filled in, one tap to send.

    A GET changes nothing (a link preview or a second scan must not check anyone in);
    the trainee confirms with the button, which posts to `check_in`.
    """
    trainee = acting_user()
    enrolled = db.session.scalar(
        db.select(Enrollment.id).where(
            Enrollment.cohort_id == cohort_id, Enrollment.user_id == trainee.id
        )
    )
    if enrolled is None:
        abort(404)
    if len(token) > 40:
        return redirect(url_for("checkin.check_in"))
    form = CheckInForm(formdata=None, code=token, cohort_id=str(cohort_id))
    form.direction.data = checkin.current_direction(trainee, checkin.seoul_today())
    classes = checkin.todays_classes(trainee, checkin.seoul_today())
    return render_template("checkin/check_in.html", form=form, classes=classes, scanned=True)
