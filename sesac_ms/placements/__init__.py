"""Placements: outcomes of completed trainees, retention, company referrals, certifications."""

from flask import Blueprint

bp = Blueprint("placements", __name__, url_prefix="/placements")

from . import import_routes, routes  # noqa: E402,F401
