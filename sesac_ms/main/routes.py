"""Routes of the main blueprint."""

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..permissions import AUTHENTICATED, PUBLIC, require
from . import bp
from .services import dashboard_for


@bp.get("/")
@require(AUTHENTICATED)
def dashboard() -> ResponseReturnValue:
    board = dashboard_for(current_user._get_current_object())
    return render_template("main/dashboard.html", board=board)


@bp.get("/healthz")
@require(PUBLIC)
def health() -> ResponseReturnValue:
    return {"status": "ok"}
