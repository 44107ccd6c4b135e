"""Non-secret defaults, overridden by instance/config.py, the environment, a test mapping."""

import os
from datetime import timedelta

# hide_parameters: SQL errors in the log never carry the values (names, e-mails) bound to them.
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
SQLALCHEMY_RECORD_QUERIES = False

# Bounds on every wait for the database, in seconds (0 turns a PostgreSQL one off); see
# database.py. Web requests stay well inside gunicorn's 30 s worker timeout.
DB_STATEMENT_TIMEOUT = 10.0
DB_LOCK_TIMEOUT = 5.0
DB_IDLE_IN_TRANSACTION_TIMEOUT = 30.0
DB_CONNECT_TIMEOUT = 5.0  # PostgreSQL; whole seconds, at least 2
DB_POOL_TIMEOUT = 5.0  # waiting for a free connection of the worker's pool
DB_SQLITE_BUSY_TIMEOUT = 10.0  # SQLite: waiting for another connection's write lock
# `flask` commands (imports, reports, mail) may run longer.
DB_CLI_STATEMENT_TIMEOUT = 600.0
DB_CLI_LOCK_TIMEOUT = 60.0
DB_CLI_IDLE_IN_TRANSACTION_TIMEOUT = 600.0
# The 503 page's Retry-After, in seconds, and /readyz's bound on its database check.
UNAVAILABLE_RETRY_AFTER = 30
READYZ_DB_TIMEOUT = 2.0

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

# Imported spreadsheets (sesac_ms/imports/limits.py): a file past any bound is refused,
# saying which, before it can fill a worker's memory or outlast gunicorn's timeout. Real
# files: a cohort's applicants (a few thousand rows), a campus's trainee-record history
# (up to ~20,000 rows), ~40 columns.
IMPORT_MAX_ROWS = 25_000  # rows read, the header and empty rows included
IMPORT_MAX_COLUMNS = 100
IMPORT_MAX_FILE_BYTES = 10 * 1024 * 1024  # the file itself, CSV or XLSX
IMPORT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # XLSX: all its parts, unpacked
IMPORT_MAX_SHARED_STRINGS_BYTES = 30 * 1024 * 1024  # XLSX: its text table, kept in memory
IMPORT_MAX_COMPRESSION_RATIO = 100  # XLSX: of any part over 1 MB (real files: under 20)
IMPORT_MAX_ARCHIVE_MEMBERS = 1_000  # XLSX: parts (real files: 10 to 50)
IMPORT_MAX_LINE_CHARS = 100_000  # CSV: characters in one row
IMPORT_MAX_SECONDS = 10  # the whole read; gunicorn kills a request at 30 s

WTF_CSRF_TIME_LIMIT = None  # bound to the session instead, which expires when idle

BABEL_DEFAULT_LOCALE = "ko"
BABEL_DEFAULT_TIMEZONE = "Asia/Seoul"
LANGUAGES = ("ko", "en")

# Log-in throttling (rule: settings with these defaults).
LOGIN_MAX_FAILURES = 5
LOGIN_LOCKOUT = timedelta(minutes=15)
LOGIN_RATE_LIMIT = "20 per 10 minutes"
# Roles that must give a second factor after the password (auth/second_factor.py); other
# roles may turn one on. Comma-separated; empty turns the policy off (`make run`'s demo).
SECOND_FACTOR_ROLES = "admin,manager,coordinator,mentor"
# How long the half-signed-in state between the password and the second factor lasts.
SECOND_FACTOR_STEP_SECONDS = 300
# Fernet keys for secrets stored in the database (crypto.py): the first encrypts, all
# decrypt. Required in production; development derives one from SECRET_KEY.
DATA_ENCRYPTION_KEYS = ""
RATELIMIT_STORAGE_URI = "memory://"
# Requests per API token (sesac_ms/api), counted in the rate-limit storage (Redis).
API_RATE_LIMIT = "600 per minute"
# Webhooks (sesac_ms/webhooks): seconds to wait for an answer, attempts before a delivery is
# given up, failed attempts in a row before a subscription pauses, and whether plain http://
# addresses are accepted (development and tests only).
WEBHOOK_TIMEOUT = 5.0
WEBHOOK_MAX_ATTEMPTS = 8
WEBHOOK_PAUSE_AFTER = 10
WEBHOOK_ALLOW_HTTP = False
# Whether webhooks may go to addresses that are not on the public internet: this host
# (127.0.0.1, ::1, where PostgreSQL and Redis listen), private networks (10/8, 172.16/12,
# 192.168/16, fc00::/7), link-local ones (169.254.169.254, a cloud's metadata service) and
# names that lead there. Off, so staff who add webhooks cannot make the server reach inside
# (webhooks/addresses.py); on only for development and tests, with a receiver on this host.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
RATELIMIT_HEADERS_ENABLED = True
# If the shared storage (Redis) is down, limit per worker rather than fail every log-in.
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
# During a Redis outage each worker counts alone and gets this share of each limit (see
# rate_limits.py); gunicorn reads the same WEB_CONCURRENCY for its number of workers.
RATELIMIT_WORKERS = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Short timeouts, so a frozen Redis costs a request a fraction of a second.
RATELIMIT_STORAGE_OPTIONS: dict = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

# The public application form: the version of the consent notice applicants agree to
# (stored with each application).
CONSENT_NOTICE_VERSION = "2026-11"
# Public limits count only what passed validation. Per client address they must let a
# whole intake day through one campus Wi-Fi or a mobile carrier's address; per e-mail
# address they keep anyone from flooding one mailbox. Bots meet the honeypot and the
# form-age token first (a form sent sooner than APPLY_FORM_MIN_SECONDS after it was
# opened, or later than APPLY_FORM_MAX_AGE, is asked to be sent again).
# Check-in attempts per trainee: a day needs two, a few mistyped codes fit easily, and
# guessing a 6-digit code that changes every 30 seconds at this pace is hopeless.
CHECKIN_RATE_LIMIT = "20 per hour"
APPLY_RATE_LIMIT = "200 per hour"  # applications accepted per client address
APPLY_EMAIL_RATE_LIMIT = "5 per hour"  # per e-mail address and cohort
STATUS_ACTION_RATE_LIMIT = "60 per hour"  # withdraw / take / decline, per client address
LOST_LINK_RATE_LIMIT = "60 per hour"  # "I lost my link" requests per client address
LOST_LINK_EMAIL_RATE_LIMIT = "3 per hour"  # and per e-mail address
APPLY_FORM_MIN_SECONDS = 3.0
APPLY_FORM_MAX_AGE = timedelta(days=1)
# Retention (sesac_ms/retention): how long each kind of personal data is kept. The daily
# `flask retention run` destroys what is older, in whole days of Seoul time; what destroying
# means for each: README "Retention" and the admin page /admin/retention. Whole numbers ≥ 1.
# Applicants not selected: days after their cohort starts (the consent notice promises a year).
APPLICANT_RETENTION_DAYS = 365
# The audit log and the personal-data access log are kept this many days, then destroyed by
# whole Seoul days (audit_chain.prune_logs, run by the daily retention job). At least 730:
# 개인정보의 안전성 확보조치 기준 제8조 asks for two years; a smaller value refuses to start.
ACCESS_LOG_RETENTION_DAYS = 730
# Trainees: years after their last cohort ends (the academy's rule for training records);
# anonymised, not deleted, so the figures of past cohorts stay exact.
TRAINEE_RETENTION_YEARS = 5
# Staff-only notes of 1:1 sessions: years after the session; blanked.
SESSION_NOTES_RETENTION_YEARS = 3
# Uploaded import files (imported or not): days after the upload.
UPLOAD_RETENTION_DAYS = 30
# Messages sent or given up (the outbox): days after sending or giving up.
OUTBOX_RETENTION_DAYS = 90

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
# Requests only queue mail; `flask mail worker` (or `flask mail send` from cron) sends it.
# Without MAIL_SERVER a request writes its own mail to the log at once (development).
# Seconds each SMTP operation may take before the attempt counts as failed.
MAIL_TIMEOUT = 10.0
# A message still failing this long after it was queued is given up (admin: Mail page).
MAIL_GIVE_UP_AFTER = timedelta(days=3)

# Text and KakaoTalk messages (sesac_ms/notify) go through Solapi (solapi.com), which
# sends both. Without SOLAPI_API_KEY they are written to the log, as mail is without
# MAIL_SERVER; with MAIL_SERVER but no Solapi key, everyone gets e-mail. SOLAPI_SENDER is
# the sending number registered with Solapi; KAKAO_PFID the KakaoTalk channel's profile id.
SOLAPI_API_KEY = ""
SOLAPI_API_SECRET = ""
SOLAPI_SENDER = ""
SOLAPI_BASE_URL = "https://api.solapi.com"
KAKAO_PFID = ""
# KakaoTalk notifications use templates registered with Kakao: message kind → template id,
# e.g. {"session_booked": "KA01TP..."}; "<kind>:en" for the English one. A kind without a
# template goes by text message instead (`flask notify templates` prints the texts).
KAKAO_TEMPLATES: dict = {}
# Applicants chose no channel: their messages go by this one (email, sms or kakao).
NOTIFY_APPLICANT_CHANNEL = "email"
# Tries of a text or KakaoTalk message while the provider is unreachable before it falls
# back to the next channel (KakaoTalk → text → e-mail); a refused message falls back at once.
NOTIFY_CHANNEL_TRIES = 3

# Absolute base for links in mails (set-password links), e.g. https://ms.sesac.seoul.kr
PUBLIC_BASE_URL = "http://127.0.0.1:5000"

# The monthly review of personal-data access (admin/review.py, 제8조②). Access in Seoul
# outside [start, end) o'clock on weekdays, or on a weekend or public holiday, is off-hours;
# a download of more than REVIEW_BULK_DOWNLOAD_PEOPLE people is a bulk download; an account
# with at least REVIEW_FAILED_LOGINS failed log-ins in the month is flagged.
REVIEW_WORKDAY_STARTS_HOUR = 8
REVIEW_WORKDAY_ENDS_HOUR = 20
REVIEW_BULK_DOWNLOAD_PEOPLE = 100
REVIEW_FAILED_LOGINS = 3

# Number of proxies in front of the app whose X-Forwarded-For/Proto to trust.
PROXY_FIX_COUNT = 0

PRODUCTION = False

# Logging: one line per request with its id; `json` writes one JSON object per line.
LOG_FORMAT = "text"
LOG_LEVEL = "INFO"
