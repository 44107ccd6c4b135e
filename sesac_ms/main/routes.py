"""Routes of the main blueprint."""

from flask import render_template
from flask.typing import ResponseReturnValue

from ..permissions import AUTHENTICATED, PUBLIC, acting_user, require
from . import bp
from .services import dashboard_for


@bp.get("/")
@require(AUTHENTICATED)
def dashboard() -> ResponseReturnValue:
    board = dashboard_for(acting_user())
    return render_template("main/dashboard.html", board=board)


@bp.get("/healthz")
@require(PUBLIC)
def health() -> ResponseReturnValue:
    return {"status": "ok"}
