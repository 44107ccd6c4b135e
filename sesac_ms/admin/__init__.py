"""Administration: campuses, users, the audit log, the personal-data access log and the mail
outbox."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import outbox, retention_page, review_routes, routes  # noqa: E402,F401
