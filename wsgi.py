"""The WSGI entry point in a checkout: `gunicorn wsgi:app`, the same app as `sesac_ms.wsgi`
(what an installed wheel serves). Runs in production mode."""

from sesac_ms.wsgi import app

__all__ = ["app"]
