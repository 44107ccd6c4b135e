"""The WSGI entry point for gunicorn: `gunicorn wsgi:app`. Runs in production mode."""

import os

os.environ.setdefault("SESAC_ENV", "production")

from sesac_ms import create_app  # noqa: E402

app = create_app()
