"""The WSGI entry point of an installed package: `gunicorn sesac_ms.wsgi:app`. Production mode."""

import os

os.environ.setdefault("SESAC_ENV", "production")

from sesac_ms import create_app  # noqa: E402

app = create_app()
