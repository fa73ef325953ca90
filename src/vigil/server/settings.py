"""Settings of the Vigil server, read only from the environment.

Variables (all optional on a laptop; production refuses the insecure defaults):

``VIGIL_ENV``            ``development`` (default) or ``production``
``VIGIL_DATA_DIR``       where the SQLite database lives (default ``./var``)
``DATABASE_URL``         e.g. ``postgresql://user@host:5432/vigil``; default SQLite in the data dir
``VIGIL_SECRET_KEY``     Django secret key (required in production)
``VIGIL_ALLOWED_HOSTS``  comma-separated host names (required in production)
``VIGIL_CSRF_TRUSTED_ORIGINS``  comma-separated origins, e.g. ``https://vigil.example.org``
``VIGIL_FIELD_KEYS``     field-encryption keyring ``id:base64key,...`` (first = current)
``VIGIL_INDEX_KEY``      base64 key of the blind indexes (exact-match search)
``VIGIL_DEBUG``          ``true`` to show Django debug pages (refused in production)
``VIGIL_BEHIND_PROXY``   ``true`` when a TLS proxy sets ``X-Forwarded-Proto``
``VIGIL_SSL_REDIRECT``   ``false`` to leave HTTP->HTTPS redirection to the proxy (production)
``VIGIL_TOKEN_HOURS``    lifetime of API tokens in hours (default 12)
``VIGIL_LOG_LEVEL``      default ``INFO``
``VIGIL_LANGUAGE``       the deployment's language (``en``, ``fr``, ``es``, ``ar``): e-mails, and pages
                         for a visitor who chose none (default ``en``)
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vigil.server import crypto

BASE_DIR = Path(__file__).resolve().parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = _env(name)
    return [x.strip() for x in raw.split(",") if x.strip()] if raw else default


VIGIL_ENV = _env("VIGIL_ENV", "development").lower()
if VIGIL_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"VIGIL_ENV: expected development or production, got {VIGIL_ENV!r}")
PRODUCTION = VIGIL_ENV == "production"

DATA_DIR = Path(_env("VIGIL_DATA_DIR", "./var")).expanduser().resolve()

# --- secrets -------------------------------------------------------------------------------------
_INSECURE_SECRET = "django-insecure-vigil-development-only-never-in-production-0123456789abcdef"
SECRET_KEY = _env("VIGIL_SECRET_KEY", "" if PRODUCTION else _INSECURE_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _INSECURE_SECRET):
    raise ImproperlyConfigured("VIGIL_SECRET_KEY: set a random secret of at least 50 characters")

VIGIL_FIELD_KEYS = _env("VIGIL_FIELD_KEYS", "" if PRODUCTION else crypto.DEMO_FIELD_KEYS)
VIGIL_INDEX_KEY = _env("VIGIL_INDEX_KEY", "" if PRODUCTION else crypto.DEMO_INDEX_KEY)
try:
    crypto.Keyring.from_spec(VIGIL_FIELD_KEYS, VIGIL_INDEX_KEY)
except crypto.KeyringError as exc:
    raise ImproperlyConfigured(f"VIGIL_FIELD_KEYS / VIGIL_INDEX_KEY: {exc}") from None
VIGIL_INSECURE_KEYS = crypto.uses_demo_keys(VIGIL_FIELD_KEYS, VIGIL_INDEX_KEY)
if PRODUCTION and VIGIL_INSECURE_KEYS:
    raise ImproperlyConfigured(
        "VIGIL_FIELD_KEYS / VIGIL_INDEX_KEY: the insecure demo keys are refused in production"
    )

DEBUG = _env_bool("VIGIL_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("VIGIL_DEBUG: debug pages are refused in production")

ALLOWED_HOSTS = _env_list(
    "VIGIL_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("VIGIL_ALLOWED_HOSTS: name the host(s) this server answers for")
CSRF_TRUSTED_ORIGINS = _env_list("VIGIL_CSRF_TRUSTED_ORIGINS", [])

# --- applications --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from the package, not a CDN (api/docs.py)
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "vigil.server.api",
    "vigil.server.accounts",
    "vigil.server.audit",
    "vigil.server.cases",
    "vigil.server.referrals",
    "vigil.server.followups",
    "vigil.server.emergency",
    "vigil.server.breaches",
    "vigil.server.disclosures",
    "vigil.server.jobs",
    "vigil.server.statistics",
    "vigil.server.recruitment",
    "vigil.server.inspections",
    "vigil.server.supply",
    "vigil.server.national",
    "vigil.server.fieldwork",
    "vigil.server.safemigration",
    "vigil.server.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Per-request memo (the signed-in user's emergency grants, asked by several parts of a page).
    "vigil.server.web.request_cache.RequestCacheMiddleware",
    # Before anything reads the body: /api/ bodies over the limit are a 413 problem document.
    "vigil.server.api.limits.ApiRequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vigil.server.accounts.otp.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # A full disk (or SQLite's page limit) is a 507 saying nothing was saved, not a bare 500.
    # A database that cannot be reached (PostgreSQL restarted, its connection cut) is a 503 with
    # Retry-After, not a 500; the next request reconnects. Above StorageFull: a full disk stays 507.
    "vigil.server.web.dbdown.DatabaseUnavailableMiddleware",
    "vigil.server.web.storage.StorageFullMiddleware",
]

ROOT_URLCONF = "vigil.server.urls"
WSGI_APPLICATION = "vigil.server.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "vigil.server.emergency.context_processors.emergency_alerts",
            ],
        },
    },
]

# Forms render their widgets with Jinja2 (Django's own form templates for it, compiled once per
# process) instead of one Django template per widget and option: the same markup at a fraction of
# the CPU (the case page's edit forms were about 45% of its server time; docs/reliability.md).
# Page templates stay Django templates, read through the cached loader (Django's default when
# no loaders are given: each template is parsed once per process).
FORM_RENDERER = "django.forms.renderers.Jinja2"

# --- cache --------------------------------------------------------------------------------------
# Rate-limit counters and the dashboards' indicator results live in Django's cache. One process:
# the default per-process memory. Several processes or servers: a shared cache, so that a limit is
# per user and a change of data invalidates every server's figures (docs/reliability.md):
# VIGIL_CACHE_URL=redis://host:6379/0 (Django's Redis backend; install the ``redis`` package) or
# memcached://host:11211 (install ``pymemcache``).
_CACHE_URL = _env("VIGIL_CACHE_URL")
if not _CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}}
elif _CACHE_URL.startswith("memcached://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": _CACHE_URL.removeprefix("memcached://"),
        }
    }
else:
    raise ImproperlyConfigured(
        f"VIGIL_CACHE_URL: expected redis://..., rediss://..., unix://... or memcached://host:port, "
        f"got {_CACHE_URL.split('://')[0]!r}"
    )
# how long the dashboards' indicator results are kept (a change of data invalidates them before)
_raw_cache_seconds = _env("VIGIL_INDICATOR_CACHE_SECONDS", "300")
if not _raw_cache_seconds.isdigit():
    raise ImproperlyConfigured(
        "VIGIL_INDICATOR_CACHE_SECONDS: expected a whole number of seconds (0: no cache), "
        f"got {_raw_cache_seconds!r}"
    )
VIGIL_INDICATOR_CACHE_SECONDS = int(_raw_cache_seconds)

# --- database ------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'vigil.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Writers queue on BEGIN IMMEDIATE instead of failing on a stale read snapshot.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    # Tests use a file, not shared-cache memory: concurrent writers then wait on the busy timeout
    # (as in production) instead of failing with "table is locked". One file per test process.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"vigil-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- passwords, login, lockout -------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "vigil.server.web.views.locked_out"
AXES_BEHIND_REVERSE_PROXY = _env_bool("VIGIL_BEHIND_PROXY", False)
AXES_IPWARE_PROXY_COUNT = 1 if AXES_BEHIND_REVERSE_PROXY else None
VIGIL_TOKEN_HOURS = int(_env("VIGIL_TOKEN_HOURS", "12"))
# Smallest count or group published in statistics (CTDC uses 11).
VIGIL_MIN_K = int(_env("VIGIL_MIN_K", "11"))

OTP_TOTP_ISSUER = "Vigil"

# --- cookies, headers, CSP -----------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("VIGIL_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the whole domain to HTTPS for good: a decision for the domain's owner.
    SECURE_HSTS_PRELOAD = _env_bool("VIGIL_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_NAME = "__Host-vigil-session"
    CSRF_COOKIE_NAME = "__Host-vigil-csrf"
if AXES_BEHIND_REVERSE_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- i18n ----------------------------------------------------------------------------------------
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish")), ("ar", _("Arabic"))]
# the deployment's language: pages for a visitor who chose none, and the e-mails Vigil sends
LANGUAGE_CODE = _env("VIGIL_LANGUAGE", "en") or "en"
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(f"VIGIL_LANGUAGE={LANGUAGE_CODE!r}: one of en, fr, es, ar")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Dates on pages in the language's order, typed in it too (vigil/server/formats); exports stay ISO.
FORMAT_MODULE_PATH = ["vigil.server.formats"]
TIME_ZONE = "UTC"
USE_TZ = True

# --- static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Production serves collected files (``vigil serve`` runs collectstatic); development finds them.
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Largest request body (not counting uploaded files), 1 MiB: Django refuses larger form posts, and
# for /api/ vigil.server.api.limits answers a 413 problem document (docs/security.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- API -----------------------------------------------------------------------------------------
# Requests per user (anonymous callers: per address) to the API, "N/s", "N/min", "N/hour" or
# "N/day"; over it a 429 problem document (vigil.server.api.throttling).
VIGIL_API_RATE = _env("VIGIL_API_RATE", "600/min")
if not re.fullmatch(r"[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)", VIGIL_API_RATE):
    raise ImproperlyConfigured(
        f"VIGIL_API_RATE: expected requests per period such as 600/min, got {VIGIL_API_RATE!r}"
    )
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vigil.server.accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "vigil.server.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "vigil.server.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "vigil.server.api.problems.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vigil.server.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["vigil.server.api.throttling.PerUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": "30/min"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigil case-management API",
    "DESCRIPTION": "Cases, persons (identity fields encrypted at rest), migration stages and consent. "
    "Every read and write of a person or case is audited. Errors are RFC 9457 problem details.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs (/api/docs/) from drf-spectacular-sidecar's static files: no CDN, no
    # third-party script, nothing for the CSP to allow; no call to Swagger's online validator.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # tags start collapsed: with every app the API has some 180 operations (a tag opens on a click)
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "docExpansion": "none"},
    "COMPONENT_SPLIT_REQUEST": True,
    # <id:pk> (vigil.server.api.routers.IdConverter) is an integer id.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    # One name per choice set where several models have a "status" or a "kind".
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "vigil.server.cases.models.Case.Status",
        "ReferralStatusEnum": "vigil.server.referrals.models.Referral.Status",
        "BreachStatusEnum": "vigil.server.breaches.models.BreachIncident.Status",
        "SubjectRequestStatusEnum": "vigil.server.disclosures.models.SubjectRequest.Status",
        "SubjectRequestKindEnum": "vigil.server.disclosures.models.SubjectRequest.Kind",
        "OrganisationKindEnum": "vigil.server.accounts.models.Organisation.Kind",
        "FollowUpKindEnum": "vigil.server.followups.models.FollowUp.Kind",
        "JobRunStatusEnum": "vigil.server.jobs.models.JobRun.Status",
        # the names these enums had before the recruitment app brought fields of the same names
        "SeverityEnum": "vigil.server.breaches.models.BreachIncident.Severity",
        "ChannelEnum": "vigil.server.disclosures.models.SubjectRequest.Channel",
        "LicenceStatusEnum": "vigil.server.recruitment.models.Licence.Status",
        "ComplaintStatusEnum": "vigil.server.recruitment.models.Complaint.Status",
        "ComplaintSeverityEnum": "vigil.server.recruitment.models.Complaint.Severity",
        "FeeReportChannelEnum": "vigil.server.recruitment.models.FeeReport.Channel",
        "InspectionOutcomeEnum": "vigil.server.recruitment.models.Inspection.Outcome",
        "OutcomeEnum": "vigil.server.followups.models.FollowUp.Outcome",
        # the inspections app brought a second "category" and more "kind"/"status" fields
        "CategoryEnum": "vigil.server.breaches.models.BreachIncident.Category",
        "ViolationCategoryEnum": "vigil.server.inspections.models.VIOLATION_CHOICES",
        "SupplyEntityKindEnum": "vigil.server.supply.models.Entity.Kind",
        "SupplyFindingKindEnum": "vigil.server.supply.models.Finding.Kind",
        "SupplyMatchStatusEnum": "vigil.server.supply.models.MatchCandidate.Status",
        "SupplyPlanStatusEnum": "vigil.server.supply.models.CorrectivePlan.Status",
        "SupplyPlanActionEnum": "vigil.server.supply.models.CorrectivePlan.Action",
    },
}

# --- logging: no personal data ever ------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_personal_data": {"()": "vigil.server.logfilter.NoPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": _env("VIGIL_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
