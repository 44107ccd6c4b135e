"""The rights of data subjects (정보주체의 권리): "My data" for trainees and applicants, and
the campus's answers to their requests to correct or delete it."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

from . import routes  # noqa: E402,F401
