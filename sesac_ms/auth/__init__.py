"""Log-in, log-out, passwords and the language switch."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from . import routes, token_routes  # noqa: E402,F401
