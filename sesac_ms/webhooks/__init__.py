"""Webhooks: a campus's events told to a URL of its choosing, signed, through a durable outbox."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from . import routes  # noqa: E402,F401
