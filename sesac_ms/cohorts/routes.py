"""Routes of the cohorts blueprint: courses, cohorts, status and staff."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from wtforms import SelectChoice

from .. import paging
from ..auth.forms import ButtonForm
from ..errors import DomainError
from ..extensions import db
from ..forms import show_domain_error, validate_all
from ..i18n_speed import dates_shown
from ..models import Campus, Cohort, CohortStaff, CohortStatus, Course, User
from ..permissions import acting_user, can, load_in_scope, require
from . import bp, services
from .forms import CohortForm, CourseForm, StaffForm

COHORT_FIELDS = ("number", "recruit_start_on", "recruit_end_on", "start_on", "end_on", "capacity")


def _status_filter() -> CohortStatus | None:
    value = request.args.get("status") or None
    return CohortStatus(value) if value in set(CohortStatus) else None


@bp.get("/")
@require("cohort.view")
def index() -> ResponseReturnValue:
    campus_id = request.args.get("campus_id", type=int)
    status = _status_filter()
    page = paging.numbered(
        services.cohorts_query(acting_user(), campus_id=campus_id, status=status), per_page=30
    )
    shown = page.items
    return render_template(
        "cohorts/index.html",
        page=page,
        campuses=services.campuses_for(acting_user()),
        campus_id=campus_id,
        status=status,
        statuses=list(CohortStatus),
        status_label=services.status_label,
        # Each row puts its id into this URL and reads its status and dates from these,
        # made once per page (30 rows of four dates through Babel cost more than the rest).
        cohort_url=url_parts("cohorts.show", "cohort_id"),
        status_labels={c.status: services.status_label(c.status) for c in shown},
        dates=dates_shown(
            day
            for c in shown
            for day in (c.recruit_start_on, c.recruit_end_on, c.start_on, c.end_on)
        ),
    )


COURSES_PER_PAGE = 50


@bp.get("/courses")
@require("course.view")
def courses() -> ResponseReturnValue:
    campus_id = request.args.get("campus_id", type=int)
    locale = str(get_locale())
    page = paging.numbered(
        services.course_list_query(acting_user(), campus_id, locale), per_page=COURSES_PER_PAGE
    )
    return render_template(
        "cohorts/courses.html",
        page=page,
        courses=services.course_lines(page.items, locale),
        campuses=services.campuses_for(acting_user()),
        campus_id=campus_id,
        # Each row puts its own id into these (one URL built per list, not three per row).
        urls={
            "cohorts": url_parts("cohorts.index", "campus_id"),
            "new_cohort": url_parts("cohorts.new_cohort", "course_id"),
            "edit": url_parts("cohorts.edit_course", "course_id"),
        },
    )


_PLACEHOLDER = 987654321


def url_parts(endpoint: str, key: str, **values) -> tuple[str, str]:
    """The endpoint's URL around its `key` id, for each row of a long list to put its own
    id between: building one URL per row through the URL map costs more than the row."""
    before, _, after = url_for(endpoint, **values, **{key: _PLACEHOLDER}).partition(
        str(_PLACEHOLDER)
    )
    return before, after


def _course_form(course: Course | None = None) -> CourseForm:
    form = CourseForm(obj=course)
    form.campus_id.choices = [
        SelectChoice(c.id, c.display_name(str(get_locale())))
        for c in services.campuses_for(acting_user())
    ]
    if course is not None:
        form.campus_id.render_kw = {"disabled": True}
        form.campus_id.data = course.campus_id
    return form


@bp.route("/courses/new", methods=["GET", "POST"])
@require("course.manage")
def new_course() -> ResponseReturnValue:
    form = _course_form()
    if request.method == "GET" and acting_user().campus_id:
        form.campus_id.data = acting_user().campus_id
    campus = db.session.get(Campus, form.campus_id.data) if form.campus_id.data else None
    if validate_all(form, lambda: services.check_course(acting_user(), campus, form.title.data)):
        try:
            course = services.create_course(
                acting_user(),
                campus=campus,
                title=form.title.data,
                title_en=form.title_en.data,
                track=form.track.data,
                description=form.description.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Course “%(title)s” was created.",
                    title=course.display_title(str(get_locale())),
                ),
                "success",
            )
            return redirect(url_for("cohorts.courses"))
    return render_template("cohorts/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@require("course.manage")
def edit_course(course_id: int) -> ResponseReturnValue:
    course = load_in_scope(Course, course_id)
    form = _course_form(course)
    if request.method == "POST":
        form.campus_id.data = course.campus_id
    if validate_all(
        form, lambda: services.check_course(acting_user(), None, form.title.data, course)
    ):
        try:
            services.update_course(
                acting_user(),
                course,
                title=form.title.data,
                title_en=form.title_en.data,
                track=form.track.data,
                description=form.description.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext(
                    "Course “%(title)s” was saved.",
                    title=course.display_title(str(get_locale())),
                ),
                "success",
            )
            return redirect(url_for("cohorts.courses"))
    return render_template("cohorts/course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>/cohorts/new", methods=["GET", "POST"])
@require("cohort.manage")
def new_cohort(course_id: int) -> ResponseReturnValue:
    course = load_in_scope(Course, course_id)
    form = CohortForm()
    values = {name: getattr(form, name).data for name in COHORT_FIELDS}
    if validate_all(form, lambda: services.check_cohort(course, values)):
        try:
            cohort = services.create_cohort(acting_user(), course, **values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Cohort %(label)s was created.", label=cohort.label(str(get_locale()))),
                "success",
            )
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template("cohorts/cohort_form.html", form=form, course=course, cohort=None)


@bp.get("/<int:cohort_id>")
@require("cohort.view")
def show(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    staff_form = StaffForm()
    staff_form.user_id.choices = (
        [SelectChoice(u.id, f"{u.name} ({u.email})") for u in services.staff_candidates(cohort)]
        if can("cohort.manage")
        else []
    )
    return render_template(
        "cohorts/show.html",
        cohort=cohort,
        staff=services.cohort_staff(cohort),
        staff_form=staff_form,
        next_status=services.next_status(cohort),
        status_label=services.status_label,
        button=ButtonForm(),
    )


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@require("cohort.manage")
def edit(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = CohortForm(obj=cohort)
    values = {name: getattr(form, name).data for name in COHORT_FIELDS}
    if validate_all(form, lambda: services.check_cohort(cohort.course, values, cohort)):
        try:
            services.update_cohort(acting_user(), cohort, **values)
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            db.session.commit()
            flash(
                gettext("Cohort %(label)s was saved.", label=cohort.label(str(get_locale()))),
                "success",
            )
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template(
        "cohorts/cohort_form.html", form=form, course=cohort.course, cohort=cohort
    )


@bp.post("/<int:cohort_id>/status")
@require("cohort.manage")
def change_status(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.advance_status(acting_user(), cohort, request.form.get("status", ""))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(
            gettext("The cohort is now “%(status)s”.", status=services.status_label(cohort.status)),
            "success",
        )
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))


@bp.post("/<int:cohort_id>/staff")
@require("cohort.manage")
def add_staff(cohort_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    form = StaffForm()
    form.user_id.choices = [SelectChoice(u.id, u.name) for u in services.staff_candidates(cohort)]
    if form.validate_on_submit():
        try:
            staff = services.assign_staff(
                acting_user(), cohort, db.session.get(User, form.user_id.data)
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(gettext("%(name)s was assigned.", name=staff.user.name), "success")
    else:
        flash(gettext("Choose an active coordinator or mentor of this cohort's campus."), "danger")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))


@bp.post("/<int:cohort_id>/staff/<int:staff_id>/remove")
@require("cohort.manage")
def remove_staff(cohort_id: int, staff_id: int) -> ResponseReturnValue:
    cohort = load_in_scope(Cohort, cohort_id)
    staff = db.session.get(CohortStaff, staff_id)
    if staff is None or staff.cohort_id != cohort.id:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = staff.user.name
    services.remove_staff(acting_user(), staff)
    db.session.commit()
    flash(gettext("%(name)s is no longer assigned.", name=name), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))
