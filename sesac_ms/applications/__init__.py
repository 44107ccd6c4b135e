"""Applicant selection: the public application form, screening, interviews, decisions."""

from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/applications")

from . import front, import_routes, public, routes  # noqa: E402,F401
