"""Reports: the employment rate and certification pass rates (formats.md), on the web and CLI."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import routes  # noqa: E402,F401
