"""Settings for Indsatskataloget: one file, configured from the environment.

Every value that differs between a laptop, CI and production comes from an environment variable.
A malformed value stops start-up with ImproperlyConfigured naming the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from catalogue.env import env_bool, env_float, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",  # sitemap.xml (no models)
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "interventions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that writes a body; Django's GZip adds random bytes to each response
    # against BREACH (ADR 0005). It leaves alone what the page cache sends already compressed
    # (a stored page holds no secret, ADR 0017). Django's, at a cheaper level (ADR 0017).
    "catalogue.middleware.GZipMiddleware",
    # Any site may read the API (GET, HEAD), also its cached answers, which are served below.
    "interventions.api.cors.ReadOnlyApiCorsMiddleware",
    # django-csp's, with the policy built from the settings kept per process (catalogue/csp.py).
    "catalogue.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A stored page for a visitor with no session or messages cookie, answered before the nine
    # middleware below that a cached page does not need; it adds what they add (ADR 0017).
    "interventions.caching.early_hit.EarlyHitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's locale and messages middleware, without what an anonymous GET throws away.
    "catalogue.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the logged-in user on every history entry an admin request creates.
    "simple_history.middleware.HistoryRequestMiddleware",
    "catalogue.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After the language and the user are known; answers cached pages before the view runs.
    "interventions.caching.page_cache.PublicCacheMiddleware",
    # Last, so that it sees every exception a view raises: an unreachable database gives 503.
    "catalogue.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "catalogue.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "catalogue.wsgi.application"

# DATABASE_URL picks the database (postgres://user@host:5432/name); unset means SQLite here.
try:
    DATABASES = {
        "default": dj_database_url.config(
            env="DATABASE_URL",
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None

# A database that cannot be reached must become an error (the 503 maintenance page) within
# seconds, never a worker that waits until gunicorn kills it (ADR 0008). For PostgreSQL, in every
# process: give up connecting after DB_CONNECT_TIMEOUT s, and drop an open connection whose sent
# data or keepalive probes go unacknowledged for DB_TCP_USER_TIMEOUT s (a network that holds
# packets). Only in the web processes (catalogue/database.py): the server cancels a statement
# after DB_STATEMENT_TIMEOUT s, and the process stops waiting for an answer 2 s after that.
# Management commands (migrate, load_catalogue, backup, restore) run without a statement limit.
# 0 switches a limit off; a value in DATABASE_URL's query string (?connect_timeout=10) wins.
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 3, minimum=0)
DB_TCP_USER_TIMEOUT = env_int("DB_TCP_USER_TIMEOUT", 10, minimum=0)
DB_STATEMENT_TIMEOUT = env_float("DB_STATEMENT_TIMEOUT", 5, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _network = {
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }
    if DB_CONNECT_TIMEOUT:
        _network["connect_timeout"] = DB_CONNECT_TIMEOUT
    if DB_TCP_USER_TIMEOUT:
        _network["tcp_user_timeout"] = DB_TCP_USER_TIMEOUT * 1000  # milliseconds
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    for _name, _value in _network.items():
        _options.setdefault(_name, _value)


# A cache is not a source of truth: a Redis that is down or hangs is a cache with nothing in it
# (catalogue/cache.py). Each command to it waits at most CACHE_SOCKET_TIMEOUT s; after a failure
# the process leaves it alone for CACHE_RETRY_SECONDS s and serves everything from the database.
CACHE_SOCKET_TIMEOUT = env_float("CACHE_SOCKET_TIMEOUT", 0.5, minimum=0)
CACHE_RETRY_SECONDS = env_float("CACHE_RETRY_SECONDS", 5, minimum=0)


# CACHE_URL picks the cache: unset means local memory (one per process); redis://host:port/db
# uses Django's RedisCache, shared by every process; dummy:// caches nothing.
def cache_config(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        return {
            "BACKEND": "catalogue.cache.FailSafeRedisCache",
            "LOCATION": url,
            "OPTIONS": {  # passed on to redis-py's connection pool; 0 means no limit
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT or None,
                "socket_timeout": CACHE_SOCKET_TIMEOUT or None,
            },
        }
    if scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": urlsplit(url).netloc or "catalogue",
            "OPTIONS": {"MAX_ENTRIES": 1000},
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must be locmem://, redis://host:port/db or dummy://; got {url!r}"
    )


CACHES = {"default": cache_config(os.environ.get("CACHE_URL", "locmem://"))}
# Public pages (interventions/caching/page_cache.py): rendered pages kept this long (0: off), the
# max-age browsers and CDNs get, the largest body stored, and the URL prefixes that are public.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 600)
PUBLIC_CACHE_MAX_AGE = env_int("PUBLIC_CACHE_MAX_AGE", 60)
# Rendered result cards, one per entry and language (interventions/listing/cards.py); keys carry the
# catalogue version, so this only bounds how long an unused card takes up room.
CARD_CACHE_SECONDS = env_int("CARD_CACHE_SECONDS", 3600)
# The catalogue version (interventions/caching/version.py) lives in the database, so every process
# and every management command shares it whatever the cache; a process reads it at most once per
# CATALOGUE_VERSION_SECONDS, which is how long another process's edit may take to show.
CATALOGUE_VERSION_SECONDS = env_float("CATALOGUE_VERSION_SECONDS", 1, minimum=0)
# The in-process catalogue index (interventions/listing/index.py) follows the catalogue version and
# is also rebuilt after this long regardless.
CATALOGUE_INDEX_SECONDS = env_int("CATALOGUE_INDEX_SECONDS", 600)
PUBLIC_CACHE_MAX_BYTES = 2_000_000
PUBLIC_CACHE_PREFIXES = ["/indsatser/", "/api/"]

# --- E-mail (ADR 0015) ------------------------------------------------------------------------
# EMAIL_URL picks the mail backend: smtp://user:password@host:587?tls=1 (or ?ssl=1, smtps:// for
# implicit TLS), console:// (messages printed), locmem:// (kept in memory, for tests) or dummy://
# (dropped). Without EMAIL_URL the usual EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER /
# EMAIL_HOST_PASSWORD / EMAIL_USE_TLS / EMAIL_USE_SSL apply; with neither, development (DEBUG)
# prints the messages and production hands them to an SMTP server on localhost:25.
EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_config(url: str) -> dict:
    """The EMAIL_* settings an EMAIL_URL stands for; ImproperlyConfigured when malformed."""
    parts = urlsplit(url)
    if parts.scheme not in EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_URL must start with {', '.join(f'{s}://' for s in EMAIL_BACKENDS)}; "
            f"got {parts.scheme + '://' if parts.scheme else url!r}"
        )
    config: dict = {"EMAIL_BACKEND": EMAIL_BACKENDS[parts.scheme]}
    if parts.scheme not in ("smtp", "smtps"):
        return config
    if not parts.hostname:
        raise ImproperlyConfigured("EMAIL_URL names no host (smtp://user:password@host:587)")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    flags = {}
    for name in ("tls", "ssl"):
        value = query.get(name, "0").strip().lower()
        if value not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise ImproperlyConfigured(f"EMAIL_URL's {name} must be 1 or 0; got {value!r}")
        flags[name] = value in ("1", "true", "yes", "on")
    use_ssl = flags["ssl"] or parts.scheme == "smtps"
    if use_ssl and flags["tls"]:
        raise ImproperlyConfigured("EMAIL_URL cannot ask for both tls and ssl")
    try:
        port = parts.port or (465 if use_ssl else 587 if flags["tls"] else 25)
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL's port must be a number") from None
    config.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port,
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=flags["tls"],
        EMAIL_USE_SSL=use_ssl,
    )
    return config


if os.environ.get("EMAIL_URL"):
    globals().update(email_config(os.environ["EMAIL_URL"]))
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = EMAIL_BACKENDS["smtp"]
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
elif DEBUG:
    EMAIL_BACKEND = EMAIL_BACKENDS["console"]
# A mail server that does not answer must not hold an editor's request for long: the failure is
# recorded beside the confirmation request and reported (interventions/feedback/mail.py).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Indsatskataloget <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's address for links in e-mails sent by management commands (no request to ask), such
# as https://indsatskataloget.dk; the admin action uses the address the editor is on.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/\s]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must be like https://example.dk; got {SITE_URL!r}")
# How long an owner's confirmation link stays valid (days), unless the editor says otherwise.
CONFIRMATION_LINK_DAYS = env_int("CONFIRMATION_LINK_DAYS", 30, minimum=1, maximum=365)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", "Dansk"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package.json, `npm ci`); only their built files are served.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("dkfds/css", NODE_MODULES / "dkfds/dist/css"),
    ("dkfds/fonts/IBMPlexSans/complete", NODE_MODULES / "dkfds/dist/fonts/IBMPlexSans/complete"),
    ("dkfds/img", NODE_MODULES / "dkfds/dist/img"),
    ("htmx", NODE_MODULES / "htmx.org/dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed file names in production; plain files while developing and testing.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# The public JSON API: read-only, anonymous, JSON only (no browsable API), documented by OpenAPI.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "interventions.api.negotiation.FormatParameterIgnored",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Indsatskataloget API",
    "DESCRIPTION": "Offentlige data om indsatser på det sociale område. Kun læsning, ingen login.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets served from our static files, not a CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Where the seed documents live, for traceability checks (source_lines point into them).
SEEDS_DIR = Path(os.environ.get("SEEDS_DIR", BASE_DIR.parent / "shared" / "seeds"))
FIXTURES_DIR = BASE_DIR / "fixtures"

# --- Security: cookies, sessions, headers, CSP, admin login throttling ---------------------------
# Every value here can be set from the environment; docs/operations.md lists them.
# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Editors' sessions end after SESSION_COOKIE_AGE seconds (default 8 hours) or when the browser
# closes, whichever comes first.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script needs to read the cookie
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4): only this host; no inline script or style, except an
# element carrying the per-request nonce ({{ CSP_NONCE }} in templates).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

# The admin lives at ADMIN_URL (a path such as "redaktion/"); its login is throttled by
# django-axes: AXES_FAILURE_LIMIT failed attempts for one user name from one address lock that
# pair out for AXES_COOLOFF_MINUTES. The lock-out answer is the same whether the user exists.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/")

# The data's licence, once the owner has decided it (interventions/views/data.py LICENCES):
# unset, the site and the open-data files say it is not decided and state none.
DATA_LICENCE = os.environ.get("DATA_LICENCE", "")
if DATA_LICENCE not in ("", "CC-BY-4.0", "CC0-1.0"):
    raise ImproperlyConfigured(
        f"DATA_LICENCE must be CC-BY-4.0, CC0-1.0 or unset; got {DATA_LICENCE!r}"
    )
if not re.fullmatch(r"(?:[A-Za-z0-9_-]+/)+", ADMIN_URL):
    raise ImproperlyConfigured(
        f"ADMIN_URL must be a relative path of letters, digits, '-' or '_' ending in '/', "
        f"such as 'redaktion/'; got {ADMIN_URL!r}"
    )
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
# Behind TRUSTED_PROXY_COUNT reverse proxies, the client address comes from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "catalogue.security.client_ip_address"

# The public forms ("Ret en fejl", "Foreslå en indsats"): at most FEEDBACK_RATE_LIMIT posts per
# client address in FEEDBACK_RATE_WINDOW seconds (then 429), and no post larger than
# FEEDBACK_MAX_BYTES (then 413). interventions/feedback/throttle.py, ADR 0016.
FEEDBACK_RATE_LIMIT = env_int("FEEDBACK_RATE_LIMIT", 5, minimum=1)
FEEDBACK_RATE_WINDOW = env_int("FEEDBACK_RATE_WINDOW", 600, minimum=1)
FEEDBACK_MAX_BYTES = env_int("FEEDBACK_MAX_BYTES", 64 * 1024, minimum=1024)

# The public pages answer 503 with this delay while the database cannot be reached.
MAINTENANCE_RETRY_AFTER = env_int("MAINTENANCE_RETRY_AFTER", 120, minimum=1)

# An operator who deliberately declines a deploy check (e.g. security.W021, HSTS preload) lists
# it here, so `check --deploy --fail-level WARNING` still guards everything else.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", [])
# --- End of security -----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
