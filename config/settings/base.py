import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from core.redis_hosts import channel_layer_hosts
from core.security import tile_sources

BASE_DIR = Path(__file__).resolve().parents[2]
LOCAL_DIR = BASE_DIR / ".local"

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
# Off unless asked for (DEBUG=1, or `make dev`): a debug page shows URL patterns, tracebacks and settings.
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "axes",
    "core",
    "audit",
    "grid",
    "geo",
    "dispatch",
    "dispatch.fieldwork",
    "open311",
    "assessment",
    "briefings",
    "alerts",
    "loaders",
    "workstations",
    "desks",
    "surveys",
    "maps",
    "rollups",
    "history",
    "classify",
    "citizen",
    "console",
    "linkage",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.SessionMiddleware",  # Django's, but a database outage does not turn an answer into a 400
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.input_guard.InputGuardMiddleware",  # NUL bytes, huge numbers, deep JSON: 400/404, never a 500
    "audit.middleware.AuditScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "maps.context_processors.map_settings",
            ],
        },
    },
]


def _local_database_url() -> str:
    """The private cluster that `make up` starts under .local/ (Unix socket only)."""
    port = os.environ.get("PGPORT_LOCAL", "54329")
    return f"postgis://grid@/grid12345?host={LOCAL_DIR / 'run'}&port={port}"


DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _local_database_url(),
        engine="django.contrib.gis.db.backends.postgis",
    )
}
# dj-database-url maps postgres:// to the plain backend; the whole project needs PostGIS:
# Django's PostGIS backend, with a pool that recovers at once after a restart (core.db).
DATABASES["default"]["ENGINE"] = "core.db"
# A Unix-socket URL (?host=/path&port=N) lands in OPTIONS; keep HOST/PORT authoritative.
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
if "host" in _db_options:
    DATABASES["default"]["HOST"] = _db_options.pop("host")
    DATABASES["default"]["PORT"] = str(_db_options.pop("port", DATABASES["default"].get("PORT") or ""))
# Under ASGI every request runs in a fresh thread, so persistent per-thread
# connections would mean a new PostgreSQL connection per request (~10 ms);
# a psycopg pool hands out open connections instead. It checks each connection as it
# hands it out (CONN_HEALTH_CHECKS) and, when one is dead (a PostgreSQL restart cut them
# all), the whole pool (core.dbpool), so a server recovers at once after a restart
# (tests/reliability/test_db_outage.py). `timeout` is how long a request waits for the
# database to come back before it is answered 503 (core.errors).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if os.environ.get("DB_POOL", "1") == "1":
    _db_options["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
# How many HTTP requests a web process runs in Django at once; the rest wait on the event loop
# (core.asgi_limit). Below the pool's size, with room for the sockets' database thread and the
# live pusher, so a request inside never waits for a connection unless the database is down.
_POOL_ROOM = _db_options["pool"]["max_size"] - 2 if "pool" in _db_options else 8
HTTP_CONCURRENCY = int(os.environ.get("HTTP_CONCURRENCY", str(max(1, min(8, _POOL_ROOM)))))
# WARM_UP=1: a web process builds its in-memory indexes as it starts (config.asgi.warm_up), seconds of
# CPU before its first intake needs them; bin/cluster and the production env file turn it on.
WARM_UP = os.environ.get("WARM_UP", "0") == "1"
if "pool" in _db_options and HTTP_CONCURRENCY > _db_options["pool"]["max_size"] - 2:
    raise ImproperlyConfigured("HTTP_CONCURRENCY must leave 2 of the DB_POOL_MAX connections to the sockets")

# A read replica (a streaming hot standby, bin/pg-replica): map, briefing, assessment-page and
# export reads go to it within a staleness bound, everything else to the primary (core.dbrouter).
# Its own pool (a new connection costs ~40 ms plus a cold catalog cache), with a short timeout: a
# stopped replica costs one request per REPLICA_DOWN_RECHECK_SECONDS at most that long.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "1"))
REPLICA_DOWN_RECHECK_SECONDS = float(os.environ.get("REPLICA_DOWN_RECHECK_SECONDS", "5"))
if REPLICA_DATABASE_URL:
    _replica = dj_database_url.parse(REPLICA_DATABASE_URL, engine="django.contrib.gis.db.backends.postgis")
    _replica_options = _replica.setdefault("OPTIONS", {})
    if "host" in _replica_options:
        _replica["HOST"] = _replica_options.pop("host")
        _replica["PORT"] = str(_replica_options.pop("port", _replica.get("PORT") or ""))
    _replica_options["connect_timeout"] = int(os.environ.get("REPLICA_CONNECT_TIMEOUT", "2"))
    if os.environ.get("DB_POOL", "1") == "1":
        _replica_options["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("DB_POOL_MAX", "20")),
            "timeout": float(os.environ.get("REPLICA_POOL_TIMEOUT", "1")),
        }
    _replica.update(ENGINE="core.db", CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=True, TEST={"MIRROR": "default"})
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["core.dbrouter.ReplicaRouter"]
    # After the session and the user are known (core.dbrouter).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("audit.middleware.AuditScopeMiddleware") + 1, "core.dbrouter.ReplicaReadsMiddleware"
    )

AUTH_USER_MODEL = "grid.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked-out users before the password is checked
    "grid.backends.ModelBackendWithOffice",  # ModelBackend, the user's office read with the user
    "django.contrib.auth.backends.ModelBackend",  # for sessions stored before it (the same users)
]
# Lock-out after repeated failures (audit.lockout): a user name from one address after 5, an address
# as a whole (any names) only after 100 within the cool-off; so one mistyping agent behind a call
# center's shared address does not lock the others, and nobody elsewhere can lock a named account.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "100"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "audit.lockout.NameAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
# The client's address for lock-outs and the audit log: behind N trusted reverse proxies,
# the N-th address from the right of X-Forwarded-For (core.security.client_ip).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
# A session lasts one work shift of inactivity, then the user logs in again.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
# The expiry is pushed back at most this often (core.middleware.SessionMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = int(os.environ.get("SESSION_REFRESH_SECONDS", "300"))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = LOCAL_DIR / "static"
# Front-end libraries come from the npm registry into node_modules (never a CDN).
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_ASSETS = {
    "leaflet": "leaflet/dist",
    "leaflet.markercluster": "leaflet.markercluster/dist",
    "leaflet.heat": "leaflet.heat/dist",
    "htmx": "htmx.org/dist",
    "ol": "ol",
}
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / path) for name, path in VENDOR_ASSETS.items() if (NODE_MODULES / path).exists()
]
WHITENOISE_USE_FINDERS = True  # serve straight from app and vendor folders; collectstatic is optional
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", LOCAL_DIR / "media"))
# Ticket files go out only after a scope check (dispatch.fieldwork.views); behind nginx,
# an internal location serving MEDIA_ROOT lets nginx send the bytes (X-Accel-Redirect).
MEDIA_ACCEL_REDIRECT = os.environ.get("MEDIA_ACCEL_REDIRECT", "")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid 12345 API",
    "DESCRIPTION": "Four-level grid, geocoding and ticket dispatch for the 12345 citizen hotline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the error answers DRF gives it (400/403/404/415) with their bodies.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_error_answers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketChannelEnum": "dispatch.models.Channel.choices",
        "TicketKindEnum": "dispatch.models.Kind.choices",
        "CallbackChannelEnum": "dispatch.serializers.CALLBACK_CHANNELS",
        "RefuseReasonEnum": "dispatch.models.RefusalReason.choices",
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_SENTINELS = os.environ.get("REDIS_SENTINELS", "").strip()
REDIS_SENTINEL_MASTERS = os.environ.get("REDIS_SENTINEL_MASTERS", "")
# One Redis, several shards (comma-separated URLs) or Sentinel-managed masters (core.redis_hosts).
# A process's wall hub hears every wall message of the process on one channel (maps.consumers.Hub):
# room for a burst of notices, where a console socket's channel keeps channels-redis' default of 100.
_HUB_CAPACITY = {"maps.hub.*": 5000}
_redis_hosts = channel_layer_hosts(REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTERS)
if _redis_hosts:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' layer with its pop kept under redis-py's read timeout and lost connections
            # told to every socket of the process (core/channel_layer.py, docs/RELIABILITY.md).
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            # A prefix keeps runs that share one Redis apart (tests, several sites).
            "CONFIG": {
                "hosts": _redis_hosts,
                "prefix": os.environ.get("CHANNELS_PREFIX", "asgi"),
                "channel_capacity": _HUB_CAPACITY,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# With Redis the cache is shared by every process (rate limits, the assessment tables);
# without it each process keeps its own in memory, and rate limits count in PostgreSQL.
if REDIS_SENTINELS:  # the first Sentinel-managed master (`bin/cluster ha`, core.sentinel_cache)
    CACHES = {
        "default": {
            "BACKEND": "core.sentinel_cache.SentinelRedisCache",
            "LOCATION": REDIS_SENTINELS,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "grid12345"),
            "OPTIONS": {"master_name": _redis_hosts[0]["master_name"]},
        }
    }
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "grid12345"),
        }
    }
RATE_LIMIT_STORE = os.environ.get("RATE_LIMIT_STORE", "cache" if REDIS_URL or REDIS_SENTINELS else "database")
# Open311 POSTs per API key and minute (a key may have its own limit in admin).
OPEN311_RATE_LIMIT_PER_MINUTE = int(os.environ.get("OPEN311_RATE_LIMIT_PER_MINUTE", "60"))

# Maps: the base map is drawn from our own data; a site with its own tile
# server sets MAP_TILE_URL (e.g. http://tiles.gov.local/{z}/{x}/{y}.png).
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
# Each web process with a wall connected pushes what the supervisor recorded (overdue and
# hotspot notices, spike alerts) this often (seconds; 0 turns its pusher off); the
# supervisor re-clusters the hotspot register at most every MAPS_HOTSPOT_REFRESH_SECONDS.
MAPS_LIVE_TICK_SECONDS = float(os.environ.get("MAPS_LIVE_TICK_SECONDS", "5"))

# Each process checks for a newer trained classifier (classify.ClassifierVersion) at most this often.
CLASSIFIER_RELOAD_SECONDS = float(os.environ.get("CLASSIFIER_RELOAD_SECONDS", "10"))
MAPS_HOTSPOT_REFRESH_SECONDS = float(os.environ.get("MAPS_HOTSPOT_REFRESH_SECONDS", "60"))

# Content Security Policy (django-csp): scripts and styles from our own static files only —
# no inline script, no eval, no inline style attribute — and no page inside another site's
# frame. JSON data blocks (json_script) are not scripts and need no exception. The one page
# with inline scripts by design, the standalone briefing map, sets its own per-response
# nonce policy (briefings.map_report.briefing_report). docs/SECURITY.md explains each directive.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *tile_sources(MAP_TILE_URL)],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # CSP3 'self' covers the same host's ws:/wss: (the live map)
        "worker-src": ["'self'"],  # the workstations' service worker
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Tickets: the number prefix (PDS-20261121-000123), the message gateway for SMS,
# calls and notices (the default records them in the database).
DISPATCH_TICKET_PREFIX = os.environ.get("DISPATCH_TICKET_PREFIX", "PDS")
DISPATCH_MESSAGE_GATEWAY = os.environ.get("DISPATCH_MESSAGE_GATEWAY", "dispatch.gateways.DatabaseGateway")
# The SMS provider for dispatch.gateways.HttpSmsGateway (docs/desks.md), and the token its inbound webhook
# (/desks/sms/inbound) must present; without a token the webhook refuses every call [CB-2].
DISPATCH_SMS_URL = os.environ.get("DISPATCH_SMS_URL", "")
DISPATCH_SMS_KEY = os.environ.get("DISPATCH_SMS_KEY", "")
DISPATCH_SMS_SIGN = os.environ.get("DISPATCH_SMS_SIGN", "【平顶山12345】")
DISPATCH_SMS_INBOUND_TOKEN = os.environ.get("DISPATCH_SMS_INBOUND_TOKEN", "")

# Metric projection for distances: CGCS2000 / 3-degree Gauss-Kruger CM 114E.
METRIC_SRID = 4547

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Debian 12 ships GDAL 3.6, which cannot block file/network access from spatial
# reference strings; we never pass user-supplied SRS definitions to GDAL.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# The call-taker's console [CT-1]: the PBX adapter that places outbound and three-way calls, and the
# demo telephony token `make up` prints (accepted only while CTI_ACCEPT_DEMO_TOKEN is on; production refuses it).
CONSOLE_PBX = os.environ.get("CONSOLE_PBX", "console.pbx.SimulatedPbx")
CTI_DEMO_TOKEN = os.environ.get("CTI_DEMO_TOKEN", "demo-cti-token-grid12345")
CTI_ACCEPT_DEMO_TOKEN = os.environ.get("CTI_ACCEPT_DEMO_TOKEN", "1") == "1"
# [CT-2] how tickets reach the linked systems (110/119/120/122, utility lines): the outbox by default;
# linkage.backends.HttpJsonBackend posts to LINKAGE_ENDPOINTS = {"110": {"url", "token", "timeout"}, …}.
LINKAGE_BACKEND = os.environ.get("LINKAGE_BACKEND", "linkage.backends.OutboxBackend")
LINKAGE_ENDPOINTS: dict[str, dict] = {}
LINKAGE_RETRIES = 3
LINKAGE_RETRY_BACKOFF = 0.5
