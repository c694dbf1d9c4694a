"""Configuration from the environment, with embedded defaults that make `make run` work on a fresh machine.

Every setting is listed in the README. Facts of policy (timeouts, throttling) are named here, once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # refused in production
DEFAULT_DEMO_PASSWORD = "demo-password-for-local-use"  # seed-demo only
DEFAULT_DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # seed-demo only
# argon2id parameters for passwords: RFC 9106's "low memory" choice (time cost, memory cost in KiB, parallelism).
PASSWORD_HASH_PARAMETERS = (3, 65536, 4)
DEMO_EMAIL_DOMAINS = ("demo-academy.example", "northside.example", "riverside.example")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Read once at app creation; tests pass overrides to create_app."""

    def __init__(self) -> None:
        self.APP_ENV = os.environ.get("APP_ENV", "development")  # development | production | test
        self.DEBUG = _bool("FLASK_DEBUG", False)
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'ap-portal.sqlite'}")
        # A pooled PostgreSQL connection the server closed (a restart) is replaced before use by looking at its socket,
        # with no round trip (shared/db_pool.py), so a database restart costs no failed requests. DB_POOL_PRE_PING=1
        # adds a test query on each checkout, for a network that drops connections silently. Connections are
        # recycled hourly either way.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": _bool("DB_POOL_PRE_PING", False), "pool_recycle": 3600}
        # PostgreSQL: give up connecting after this many seconds (a database behind a dead network would otherwise
        # hold each request until the operating system's TCP timeout, minutes); the request then answers 503.
        self.DB_CONNECT_TIMEOUT = _int("DB_CONNECT_TIMEOUT", 5)
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_PATH / "uploads"))
        self.MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 20) * 1024 * 1024
        # How many reverse proxies in front of the app set X-Forwarded-For (0: none, e.g. local development).
        self.PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

        # Virus scanning (clamd). Neither set: documents are stored marked "not virus-scanned" (local `make run`);
        # production refuses to start. The clamd's StreamMaxLength must exceed MAX_UPLOAD_MB.
        self.CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET")  # Debian: /run/clamav/clamd.ctl
        self.CLAMD_HOST = os.environ.get("CLAMD_HOST")
        self.CLAMD_PORT = _int("CLAMD_PORT", 3310)
        self.CLAMD_CONNECT_TIMEOUT = float(os.environ.get("CLAMD_CONNECT_TIMEOUT", 5))
        # For the whole scan (connecting, sending, the verdict after the whole stream), not each socket operation.
        self.CLAMD_TIMEOUT = float(os.environ.get("CLAMD_TIMEOUT", 60))
        # Storage: S3 when S3_BUCKET is set, else local files under UPLOAD_FOLDER.
        self.S3_BUCKET = os.environ.get("S3_BUCKET")
        self.S3_REGION = os.environ.get("S3_REGION")  # else AWS_DEFAULT_REGION
        self.S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL")  # S3-compatible stores; path-style addressing
        # The DBS Update Service client: only the fake exists in this build (no live DBS here).
        self.DBS_CLIENT = os.environ.get("DBS_CLIENT", "fake")

        # E-mail: "console" prints each message and writes it to MAIL_FOLDER; "smtp" sends it.
        self.MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
        self.MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(INSTANCE_PATH / "mail"))
        # SMTP_HOST/SMTP_PORT are accepted as the same settings (the names ops teams often use).
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or os.environ.get("SMTP_HOST", "localhost")
        self.MAIL_PORT = _int("MAIL_PORT", _int("SMTP_PORT", 25))
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "AP Portal <no-reply@ap-portal.localhost>")
        # Hand each e-mail to the worker as soon as the transaction that queued it commits (the worker's sweep
        # sends whatever this misses within a minute). The tests turn it off and send with deliver_outbox.
        self.OUTBOX_SEND_AT_ONCE = _bool("OUTBOX_SEND_AT_ONCE", True)

        # Rate limits (sign-in throttling, the API): a store in memory by default, Redis when REDIS_URL is set
        # (shared by gunicorn workers and by every machine), or RATELIMIT_STORAGE_URI for a store of its own (any
        # `limits` storage URI, e.g. another Redis database). More than one web process needs a shared store.
        self.REDIS_URL = os.environ.get("REDIS_URL")
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        # About 10 failures per 5 minutes per account (password, and separately TOTP); a whole school signs in
        # from one public IP at 8:30, so the per-IP ceiling is far higher.
        self.SIGN_IN_ACCOUNT_LIMIT = os.environ.get("SIGN_IN_ACCOUNT_LIMIT", "10 per 5 minutes")
        self.SIGN_IN_IP_LIMIT = os.environ.get("SIGN_IN_IP_LIMIT", "500 per 5 minutes")
        # Password-reset e-mails per address per hour; beyond it the page answers as usual but nothing is sent.
        self.PASSWORD_RESET_EMAILS_PER_HOUR = _int("PASSWORD_RESET_EMAILS_PER_HOUR", 3)

        # Sessions (OWASP ASVS 3.3): idle and absolute timeouts, enforced on the server-side session record.
        self.SCHOOL_IDLE_MINUTES = _int("SCHOOL_IDLE_MINUTES", 30)
        self.PORTAL_IDLE_MINUTES = _int("PORTAL_IDLE_MINUTES", 60)
        self.SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)
        self.PENDING_SIGN_IN_MINUTES = 10  # between the password and the MFA code
        self.SESSION_COOKIE_NAME = "ap_portal_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.APP_ENV == "production")
        self.REMEMBER_COOKIE_DURATION = 0

        # Password hashing (argon2id), fixed here rather than read from the environment; the tests set the cheapest
        # values argon2 allows. A hash made with other parameters is replaced at the next sign-in.
        (self.PASSWORD_HASH_TIME_COST, self.PASSWORD_HASH_MEMORY_COST, self.PASSWORD_HASH_PARALLELISM) = (
            PASSWORD_HASH_PARAMETERS
        )

        # Invitation and password-reset links (itsdangerous, a salt per purpose).
        self.TOKEN_MAX_AGE_SECONDS = _int("TOKEN_MAX_AGE_HOURS", 72) * 3600

        # Forms: CSRF on everywhere, tests included.
        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None  # bound to the session instead, which has its own timeouts

        # Demo data (seed-demo only; refused in production).
        self.DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        self.DEMO_TOTP_SECRET = os.environ.get("DEMO_TOTP_SECRET", DEFAULT_DEMO_TOTP_SECRET)

        # Attendance: school days and deadlines are in the school's local time. An unmarked session is chased
        # this many minutes after its deadline; reviews are due every REVIEW_INTERVAL_WEEKS (6 to 8).
        self.SCHOOL_TIMEZONE = os.environ.get("SCHOOL_TIMEZONE", "Europe/London")
        self.UNMARKED_GRACE_MINUTES = _int("UNMARKED_GRACE_MINUTES", 15)
        self.REVIEW_INTERVAL_WEEKS = _int("REVIEW_INTERVAL_WEEKS", 6)
        # Safeguarding content is encrypted with these AES-256 keys: "id:base64key,id2:base64key", the last one
        # encrypting (shared.crypto). Unset outside production: one key derived from SECRET_KEY.
        self.SAFEGUARDING_KEYS = os.environ.get("SAFEGUARDING_KEYS")
        # Safeguarding pages want the security code given in the last this many minutes.
        self.SAFEGUARDING_MFA_MINUTES = _int("SAFEGUARDING_MFA_MINUTES", 15)
        # A concern nobody at the school has acknowledged after this many minutes (in school hours) escalates.
        self.CONCERN_ESCALATION_MINUTES = _int("CONCERN_ESCALATION_MINUTES", 30)
        # School hours for that clock (school-local "HH:MM"): outside them it stops.
        self.CONCERN_SCHOOL_DAY_START = os.environ.get("CONCERN_SCHOOL_DAY_START", "08:00")
        self.CONCERN_SCHOOL_DAY_END = os.environ.get("CONCERN_SCHOOL_DAY_END", "17:00")
        # Service level agreement figures: green at or above, amber at or above, else red (percent).
        self.SLA_GREEN_AT = float(os.environ.get("SLA_GREEN_AT", 95))
        self.SLA_AMBER_AT = float(os.environ.get("SLA_AMBER_AT", 85))
        # A provider with pupils placed should have a visit from the school at least this often (days).
        self.VISIT_EVERY_DAYS = _int("VISIT_EVERY_DAYS", 42)
        # The governors' report: a count of pupils (or of events about them) from 1 to this number less one is shown
        # as "fewer than N", and a percentage worked out from it is withheld (small-number suppression, as in DfE
        # statistics: a small number can identify a child to people who know the school).
        self.GOVERNORS_SUPPRESS_BELOW = _int("GOVERNORS_SUPPRESS_BELOW", 5)
        # The DfE's intended limits on schools' use of unregistered alternative provision (as issue 14 states them;
        # configurable until they are final): full time for no more than this many weeks, part time for no more
        # than this many sessions a week. The local authority's and the AP lead's pages flag a placement beyond
        # either (shared.services.local_authority.limits).
        self.LA_UNREGISTERED_FULL_TIME_WEEKS = _int("LA_UNREGISTERED_FULL_TIME_WEEKS", 12)
        self.LA_UNREGISTERED_PART_TIME_SESSIONS = _int("LA_UNREGISTERED_PART_TIME_SESSIONS", 4)
        # The attendance API: requests per provider API token.
        self.API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")

        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        self.HSTS = self.APP_ENV == "production"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class ProductionSafetyError(RuntimeError):
    """The app was started in production mode with something that must never reach production."""
