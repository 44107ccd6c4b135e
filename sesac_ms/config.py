"""Non-secret defaults, overridden by instance/config.py, the environment, a test mapping."""

from datetime import timedelta

SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
SQLALCHEMY_RECORD_QUERIES = False

# Sessions: cookies are HttpOnly and SameSite=Lax everywhere, Secure in production.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sesac_session"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = False
REMEMBER_COOKIE_DURATION = timedelta(days=14)
REMEMBER_COOKIE_NAME = "sesac_remember"
# Idle expiry: the signed session cookie is refused once older than this, and
# every request renews it, so the lifetime counts from the last request.
PERMANENT_SESSION_LIFETIME = timedelta(minutes=60)
SESSION_REFRESH_EACH_REQUEST = True

MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # uploads

WTF_CSRF_TIME_LIMIT = None  # bound to the session instead, which expires when idle

BABEL_DEFAULT_LOCALE = "ko"
BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
LANGUAGES = ("ko", "en")

# Log-in throttling (rule: settings with these defaults).
LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT = timedelta(minutes=15)
LOGIN_RATE_LIMIT = "20 per 10 minutes"
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
# If the shared storage (Redis) is down, limit per worker rather than fail every log-in.
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

# The public application form: the version of the consent notice applicants agree to
# (stored with each application) and how often one address may submit.
CONSENT_NOTICE_VERSION = "2026-11"
APPLY_RATE_LIMIT = "10 per hour"
# Applicants not selected are destroyed this many days after their cohort starts
# (the consent notice promises one year); `flask applications purge-expired` does it.
APPLICANT_RETENTION_DAYS = 365

# Length of a 1:1 session of each kind, in minutes.
SESSION_MINUTES = {"mentoring": 60, "portfolio": 60, "mock_interview": 40, "career": 30}

PASSWORD_MIN_LENGTH = 12
PASSWORD_TOKEN_LIFETIME = timedelta(hours=72)
# argon2id cost; tests lower it.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536
ARGON2_PARALLELISM = 4

MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "SeSAC MS <no-reply@sesac.example>"
# Send right after the request that queued a message; `flask mail send` retries failures.
MAIL_SEND_IMMEDIATELY = True

# Absolute base for links in mails (set-password links), e.g. https://ms.sesac.seoul.kr
PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# Number of proxies in front of the app whose X-Forwarded-For/Proto to trust.
PROXY_FIX_COUNT = 0

PRODUCTION = False
