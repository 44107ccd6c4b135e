"""Routes of the main blueprint."""

from flask import render_template
from flask.typing import ResponseReturnValue

from ..extensions import db
from ..permissions import AUTHENTICATED, PUBLIC, acting_user, require
from . import bp
from .health import readiness
from .services import dashboard_for, log_people_shown


@bp.get("/")
@require(AUTHENTICATED)
def dashboard() -> ResponseReturnValue:
    board = dashboard_for(acting_user())
    logged = log_people_shown(acting_user(), board)
    html = render_template("main/dashboard.html", board=board)
    if logged:
        db.session.commit()  # the access-log entry, once the page is built from the loaded rows
    return html


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
