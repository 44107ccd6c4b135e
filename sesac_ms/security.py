"""Security headers and the caching policy on every response; the production start-up checks."""

from typing import Any

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import user_logged_out

from .crypto import check_keys, configured_keys

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if current_app.config["PRODUCTION"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    _keep_personal_responses_out_of_caches(response)
    return response


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


class StaticFreeSessionInterface(SecureCookieSessionInterface):
    """The signed session cookie, never renewed by a static file.

    Every page renews the cookie (the idle expiry counts from the last request). A static
    file renewing it too would write back the session as it was when its request began: a
    font still loading from the previous page could then undo what the page after it
    stored (a passkey challenge, a flash message). Static files are the same for everyone
    and need no session."""

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if has_request_context() and _is_static(request.endpoint):
            return False
        if has_request_context():
            from .api.guard import is_token_request

            if is_token_request():
                return False  # the API authenticates by token; it never sets a cookie
        return super().should_set_cookie(app, session)


def is_token_page(view_args: dict | None) -> bool:
    """A page reached by a private link: its URL carries a `token` (status, password, feed)."""
    return "token" in (view_args or {})


_LOGGED_OUT = "sesac_ms.logged_out"  # request.environ: this request began logged in


@user_logged_out.connect
def _remember_the_request_was_logged_in(sender: Any, **extra: Any) -> None:
    if has_request_context():
        request.environ[_LOGGED_OUT] = True


def _keep_personal_responses_out_of_caches(response: Response) -> None:
    """`Cache-Control: no-store` on what is meant for one person.

    That is every response to a logged-in user (the one logging them out too), every
    download and every page reached by a private token, so neither a shared proxy nor the
    browser's disk keeps a copy for the next person at the machine. Static files keep
    their own caching. A token page may keep a `private` policy of its own (the calendar
    feed polls with a short max-age); anything else it sets, and anything a logged-in page
    sets, is replaced.
    """
    if _is_static(request.endpoint):
        return
    token_page = is_token_page(request.view_args)
    download = response.headers.get("Content-Disposition", "").lower().startswith("attachment")
    # From the session cookie, not current_user: that may be a query, and this runs after
    # every response, error pages with the database away included.
    logged_in = bool(session.get("_user_id")) or request.environ.get(_LOGGED_OUT, False)
    if not (token_page or download or logged_in):
        return
    policy = response.cache_control
    if policy.no_store or (token_page and not download and policy.private):
        return
    response.headers["Cache-Control"] = "no-store"


class UnsafeProductionConfig(RuntimeError):
    """Production refuses to start with this configuration."""


def check_production_config(app: Flask) -> None:
    """Refuse to start in production with debug on, the generated key or insecure cookies."""
    config = app.config
    problems = []
    if app.debug or config.get("DEBUG"):
        problems.append("debug is on")
    if config.get("SECRET_KEY_GENERATED") or not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY is unset or the generated development key")
    elif len(str(config["SECRET_KEY"])) < 32:
        problems.append("SECRET_KEY is shorter than 32 characters")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(name):
            problems.append(f"{name} is off")
    if not configured_keys(config):
        problems.append(
            "DATA_ENCRYPTION_KEYS is unset (second-factor secrets are encrypted with it)"
        )
    elif (problem := check_keys(config)) is not None:
        problems.append(problem)
    if config.get("WTF_CSRF_ENABLED") is False:
        problems.append("CSRF protection is off")
    if config.get("RATELIMIT_ENABLED") is False:
        problems.append("rate limiting is off")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        problems.append(
            "RATELIMIT_STORAGE_URI keeps limits in one worker's memory (use redis://...)"
        )
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        app.logger.warning("production on SQLite: use PostgreSQL through DATABASE_URL")
    if problems:
        raise UnsafeProductionConfig("refusing to start in production: " + "; ".join(problems))
