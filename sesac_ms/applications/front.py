"""The public front door: `/` for visitors, readable /apply/<id>-<slug> links, lost links.

`/` itself belongs to the main blueprint (logged-in users get their dashboard there); it
calls `front_door()` for visitors. The application form at /apply/... is in public.py.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from ..cohorts.forms import TRACK_LABELS
from ..extensions import db
from ..models import Campus, Cohort, Track
from ..permissions import PUBLIC, require
from ..rate_limits import LOST_LINK_ADDRESS, LOST_LINK_EMAIL, minutes, wait_for
from .forms import LostLinkForm
from .recruiting import (
    RecruitingFilters,
    cohort_slug,
    mail_status_links,
    recruiting_campuses,
    recruiting_cohorts,
)

bp = Blueprint("apply", __name__, url_prefix="/apply")


def apply_url(cohort: Cohort, **values: object) -> str:
    """The cohort's shareable link, e.g. /apply/12-guro-3."""
    return url_for("apply.form", cohort_id=cohort.id, slug=cohort_slug(cohort), **values)


def sent_url(cohort: Cohort) -> str:
    return url_for("apply.sent_page", cohort_id=cohort.id, slug=cohort_slug(cohort))


def track_label(track: Track | str) -> str:
    return str(TRACK_LABELS[Track(track)])


def _filters() -> RecruitingFilters:
    """The filters in the URL; a value that is not one of the choices is ignored."""
    campus_id = request.args.get("campus", type=int)
    if campus_id is not None and db.session.get(Campus, campus_id) is None:
        campus_id = None
    try:
        track = Track(request.args.get("field", ""))
    except ValueError:
        track = None
    return RecruitingFilters(campus_id=campus_id, track=track)


def front_door(lost_link_form: LostLinkForm | None = None, status: int = 200):
    """The academy's public page: the cohorts recruiting now, how selection works, lost links."""
    filters = _filters()
    return render_template(
        "applications/front.html",
        cohorts=recruiting_cohorts(filters),
        campuses=recruiting_campuses(),
        filters=filters,
        tracks=list(Track),
        track_label=track_label,
        apply_url=apply_url,
        lost_link_form=lost_link_form or LostLinkForm(formdata=None),
    ), status


@bp.get("/")
@require(PUBLIC)
def index() -> ResponseReturnValue:
    """/apply alone: the list of cohorts to apply to is the front page."""
    return redirect(url_for("main.dashboard", **request.args))


@bp.route("/lost-link", methods=["GET", "POST"])
@require(PUBLIC)
def lost_link() -> ResponseReturnValue:
    """ "I lost my link": the links are mailed; the answer is the same for every address."""
    form = LostLinkForm()
    wait = 0
    if form.validate_on_submit():
        wait = wait_for(LOST_LINK_ADDRESS) or wait_for(
            LOST_LINK_EMAIL, form.email.data.strip().lower()
        )
        if not wait:
            mail_status_links(form.email.data, str(get_locale()))
            db.session.commit()
            return redirect(url_for("apply.lost_link_sent"))
    response = render_template(
        "applications/lost_link.html", form=form, wait_minutes=minutes(wait) if wait else None
    )
    if wait:
        return response, 429, {"Retry-After": str(wait)}
    return response


@bp.get("/lost-link/sent")
@require(PUBLIC)
def lost_link_sent() -> ResponseReturnValue:
    return render_template("applications/lost_link_sent.html")
