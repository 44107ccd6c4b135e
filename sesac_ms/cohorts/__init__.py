"""Courses and cohorts of a campus: opening, dates, capacity, status and assigned staff."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")

from . import attendance_import_routes, roster_routes, routes  # noqa: E402,F401
from .checkin_routes import bp as checkin_bp  # noqa: E402,F401
