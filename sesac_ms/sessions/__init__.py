"""1:1 sessions: availability, booking, changes, logging, schedules, feeds and coverage."""

from flask import Blueprint

bp = Blueprint("sessions", __name__, url_prefix="/sessions")

from . import routes  # noqa: E402,F401
