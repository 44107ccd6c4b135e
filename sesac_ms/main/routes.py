"""Routes of the main blueprint."""

from flask import get_template_attribute, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext
from flask_login import current_user
from markupsafe import Markup

from ..applications.front import front_door
from ..audit_text import EntryReader
from ..cohorts.routes import url_parts
from ..cohorts.services import status_label
from ..extensions import db
from ..i18n_speed import dates_shown
from ..permissions import PUBLIC, acting_user, require
from . import bp
from .health import readiness
from .services import dashboard_for, log_people_shown


@bp.get("/")
@require(PUBLIC)
def dashboard() -> ResponseReturnValue:
    """A logged-in user's dashboard; for visitors, the academy's public front door."""
    if not current_user.is_authenticated:
        return front_door()
    board = dashboard_for(acting_user())
    logged = log_people_shown(acting_user(), board)
    html = render_template(
        "main/dashboard.html",
        board=board,
        # The cohort rows put their own id into this URL, read their status's label from
        # this table and their dates formatted once each (a row per cohort, up to 50).
        cohort_url=url_parts("cohorts.show", "cohort_id"),
        status_labels={
            status: status_label(status) for status in {c.status for c in board.cohorts}
        },
        dates=dates_shown(d for c in board.cohorts for d in (c.start_on, c.end_on)),
        # The recent changes, labels looked up once, each entry's sentences kept.
        audit_entry=EntryReader(board.figures_version).describe,
        rate_cells=_glance_cells(board),
    )
    if logged:
        db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


def _glance_cells(board) -> dict:  # noqa: ANN001
    """Each campus's two rate cells on the dashboard (main/_glance.html), rendered once per
    figures' version, scope and language and kept with the figures they show: 25 campuses'
    cells cost more than the rest of the table."""
    from ..reports import figures_cache

    def render() -> dict[int, Markup]:
        cells = get_template_attribute("main/_glance.html", "rate_cells")
        within, overall = gettext("Employed within 30 days"), gettext("Cumulative")
        return {
            item.campus.id: cells(((within, item.rate_30), (overall, item.rate_all)))
            for item in board.campuses
        }

    if not board.campuses:
        return {}
    scope = tuple(item.campus.id for item in board.campuses)
    return figures_cache.figures_at(
        board.figures_version, ("dashboard rate cells", scope, str(get_locale())), render
    )


@bp.get("/favicon.ico")
@require(PUBLIC)
def favicon() -> ResponseReturnValue:
    """Clients that ask for /favicon.ico without reading the page's icon link get the SVG mark.

    A temporary redirect, so the static file keeps its own caching and a later icon is seen.
    """
    return redirect(url_for("static", filename="favicon.svg"))


@bp.get("/healthz")
@require(PUBLIC)
def health() -> ResponseReturnValue:
    """Liveness: the process answers. Touches neither the database nor Redis (health.py)."""
    return {"status": "ok"}, 200, {"Cache-Control": "no-store"}


@bp.get("/readyz")
@require(PUBLIC)
def ready() -> ResponseReturnValue:
    """Readiness: 200 when this worker can serve, 503 when not; each check's status."""
    is_ready, report = readiness()
    return report, 200 if is_ready else 503, {"Cache-Control": "no-store"}
