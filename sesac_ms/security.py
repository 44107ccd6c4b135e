"""Security headers on every response and the production start-up checks."""

from flask import Flask, Response, current_app

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
    return response


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
