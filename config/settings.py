"""Settings for the complaint desk, twelve-factor style.

Every value comes from the environment, with defaults that serve the embedded
demo (SQLite, a file-system Celery broker, e-mail printed to the console).
With DEBUG off the process refuses to start without a real SECRET_KEY and
FIELD_ENCRYPTION_KEYS.
"""

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config.beat_schedule import beat_schedule
from config.mail_url import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Runtime state of an embedded install: the SQLite file, broker folder, media, dev keys.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# No SECRET_KEY and no DEBUG: the embedded demo (make run, a bare `manage.py seed_demo`).
# A deployment sets SECRET_KEY, and DEBUG is then off unless asked for.
DEBUG = env.bool("DEBUG", default=not env.str("SECRET_KEY", default=""))


def _dev_secret(name: str, make: callable) -> str:
    """A development-only secret, generated once and kept under VAR_DIR."""
    path = VAR_DIR / f".dev-{name}"
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
_keys = [k.strip() for k in env.str("FIELD_ENCRYPTION_KEYS", default="").split(",") if k.strip()]
if not DEBUG:
    if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("Set SECRET_KEY (50+ random characters) or DEBUG=1 for development.")
    if not _keys:
        raise ImproperlyConfigured(
            "Set FIELD_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first) or DEBUG=1 for development."
        )
SECRET_KEY = SECRET_KEY or _dev_secret("secret-key", lambda: "django-insecure-" + secrets.token_urlsafe(40))
FIELD_ENCRYPTION_KEYS = _keys or [_dev_secret("field-key", lambda: Fernet.generate_key().decode())]
# Keyed hash for exact PII lookups; must outlive key rotation, so it has its own setting.
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="") or f"blind-index:{SECRET_KEY}"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # daphne first: `manage.py runserver` (make run) then serves ASGI, so /chat/ WebSockets work.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    # django-axes (failed sign-ins), under a translated name in the console.
    "config.apps.AxesConfig",
    "complaints",
    "channels_intake",
    "sla",
    "feedback",
    "external_cases",
    "quality",
    "incidents",
    "assist",
    "remedies",
    "handoffs",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the address is a 400 before anything looks it up (PostgreSQL refuses NUL in text).
    "config.middleware.RefuseNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in staff member's stored language wins over the cookie (after auth, before the views).
    "complaints.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy from SECURE_CSP; the middleware below it sets files' own policy first.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.PrivateResponseMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a sign-in refused by the lockout into the 429 page (config.accounts.lockout_response).
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.known_issues",
            ],
        },
    }
]

# --- Database ----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one file: wait for locks and take them up front.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Behind pgbouncer in transaction pooling, .iterator() must not open server-side cursors.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    _broker_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # Broadcast (control) exchanges too, or kombu writes them to ./control of the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # A task not acknowledged within this time is handed to another worker.
    # (Longer than the slowest task; the fault tests shorten it to see a killed worker's task come back.)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=3600)
    }
    # Installations (or test runs) sharing one Redis keep their queues and beat lock apart.
    if _broker_prefix := env.str("BROKER_KEY_PREFIX", default=""):
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = _broker_prefix

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Queues by kind of work, so a flood of one kind cannot starve another: production runs a worker per
# queue (Procfile, docs/deploy.md); a worker started without -Q (make run, the tests) consumes all four.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("celery", "intake", "notifications", "sla")]
CELERY_TASK_ROUTES = {
    # intake: outside input turned into tickets and messages.
    "channels_intake.tasks.poll_mailboxes": {"queue": "intake"},
    "channels_intake.tasks.process_item": {"queue": "intake"},
    # notifications: everything that talks to the outside world (mail, SMS, webhooks, surveys).
    "channels_intake.tasks.send_delivery": {"queue": "notifications"},
    "channels_intake.customer.tasks.send_ticket_link": {"queue": "notifications"},
    "complaints.tasks.notify_staff": {"queue": "notifications"},
    "sla.tasks.send_alert": {"queue": "notifications"},
    "feedback.tasks.send_due_surveys": {"queue": "notifications"},
    "feedback.tasks.notify_return_visit": {"queue": "notifications"},
    # sla: the sweep that fires warnings and breaches (and escalates through the services).
    "sla.tasks.sweep": {"queue": "sla"},
    # Anything else (close_stale_resolved_tickets, housekeeping) goes to the default queue.
}
# A delivery to a customer still queued this many seconds after it was queued (or last re-queued) is
# published again by the outbox re-queue; one that failed and waits for its retry gets OUTBOX_RETRY_GRACE.
OUTBOX_REQUEUE_AFTER = env.int("OUTBOX_REQUEUE_AFTER", default=300)
OUTBOX_RETRY_GRACE = env.int("OUTBOX_RETRY_GRACE", default=2100)
# Exactly one beat per deployment: the scheduler holds a lock in the broker's Redis (config/beat.py).
CELERY_BEAT_SCHEDULER = "config.beat:SingleBeatScheduler"
CELERY_BEAT_LOCK_TTL = env.int("BEAT_LOCK_TTL", default=60)
# A second beat waits as a standby (and takes over when the first stops); 0: it exits instead.
CELERY_BEAT_LOCK_WAIT = env.bool("BEAT_LOCK_WAIT", default=True)
# The periodic jobs (one beat per deployment), their intervals from the environment: config/beat_schedule.py.
CELERY_BEAT_SCHEDULE: dict = beat_schedule(env)

if REDIS_URL:
    # Fails open (config/cache.py): while Redis restarts the pages answer as with an empty cache.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
        }
    }
else:
    # Shared by web, worker and beat of the embedded demo (rate limits must be seen by all).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# /metrics (config/metrics.py): queue lengths, sweep lag and outbox age for the operators. With a
# token set only a request bearing it is answered; without one only the machine itself (loopback).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- E-mail --------------------------------------------------------------------
# One variable, EMAIL_URL, chooses the default mailer (Django 6.1 MAILERS):
#   console://                              printed to the console (the default)
#   smtp://host:port                        plain SMTP (add user:password@ for AUTH)
#   smtp+tls://user:password@host:587       SMTP with STARTTLS
#   smtps://user:password@host:465          SMTP over implicit TLS
#   file:///path/to/folder, locmem://, dummy://
# Production (DEBUG off) must name a real mail server: console:// is refused (see ALLOW_CONSOLE_BACKENDS).
EMAIL_URL = env.str("EMAIL_URL", default="console://")


MAILERS = {"default": mailer_from_url(EMAIL_URL, var_dir=VAR_DIR)}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Complaint desk <complaints@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins (/accounts/login/, /admin/login/, POST /api/v1/auth/token/) are counted by django-axes
# per account name typed (existing or not) and per client address; over either limit every sign-in
# of that name, or from that address, is refused with 429 until the cool-off has passed since the
# last failure (a failure during the lockout starts it again). config/accounts.py.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before the password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
# Higher: one office behind one NAT address should not be locked out by a few typos.
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=30)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_HANDLER = "config.accounts.LoginAttemptsHandler"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
# The client address the public pages' rate limits use (API_NUM_PROXIES proxies trusted).
AXES_CLIENT_IP_CALLABLE = "config.accounts.client_address"
AXES_LOCKOUT_CALLABLE = "config.accounts.lockout_response"
# A success does not clear the address's count: one valid account must not reset a guesser's tally.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# Password-reset mails: requests per client address and mails per address typed, in an hour.
PASSWORD_RESETS_PER_IP = env.int("PASSWORD_RESETS_PER_IP", default=10)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=3)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/desk/"
LOGOUT_REDIRECT_URL = "/"

# --- Internationalisation ------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
# One date format per language on every page and e-mail (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence lives outside the web root and is served by permission-checked views only.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Several web hosts share the evidence through S3-compatible object storage (django-storages)
# when a bucket is named; files are private and streamed by the same permission-checked views.
if _bucket := env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "file_overwrite": False,
        },
    }
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENTS_TOTAL_MAX_BYTES = env.int("ATTACHMENTS_TOTAL_MAX_BYTES", default=30 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Domain settings ------------------------------------------------------------
COMPLAINTS = {
    # A new complaint by the same customer in the same category within this window
    # and at least this similar is folded into the open ticket.
    "REPEAT_WINDOW_DAYS": env.int("REPEAT_WINDOW_DAYS", default=30),
    "REPEAT_SIMILARITY": env.float("REPEAT_SIMILARITY", default=0.45),
    "AUTO_CLOSE_RESOLVED_AFTER_DAYS": env.int("AUTO_CLOSE_RESOLVED_AFTER_DAYS", default=7),
    # The customer's ticket link (/t/<token>/) works while the ticket is open and this many days
    # after it closes (or after a new link was sent, if later).
    "TICKET_LINK_DAYS_AFTER_CLOSE": env.int("TICKET_LINK_DAYS_AFTER_CLOSE", default=30),
    # The desk's team-wide queue counts are shared by every agent and recounted at most this often.
    "QUEUE_COUNTS_SECONDS": env.int("QUEUE_COUNTS_SECONDS", default=15),
    # /track/ and "e-mail me my link": attempts per client IP and per reference in one window.
    "TRACK_ATTEMPTS_PER_IP": env.int("TRACK_ATTEMPTS_PER_IP", default=20),
    "TRACK_ATTEMPTS_PER_REFERENCE": env.int("TRACK_ATTEMPTS_PER_REFERENCE", default=5),
    "TRACK_WINDOW_SECONDS": env.int("TRACK_WINDOW_SECONDS", default=900),
    # Replies and other actions a customer posts on their ticket page, per ticket and per IP.
    "CUSTOMER_POSTS_PER_WINDOW": env.int("CUSTOMER_POSTS_PER_WINDOW", default=20),
    "CUSTOMER_POST_WINDOW_SECONDS": env.int("CUSTOMER_POST_WINDOW_SECONDS", default=3600),
}

# --- Intake channels (channels_intake) ----------------------------------------------
INTAKE = {
    # Domain of the Message-IDs we send, so replies thread to their ticket.
    "MESSAGE_ID_DOMAIN": env.str("MESSAGE_ID_DOMAIN", default=urlsplit(SITE_URL).hostname or "localhost"),
    # Web form submissions per client IP and window (seconds).
    "WEB_FORM_RATE_LIMIT": env.int("WEB_FORM_RATE_LIMIT", default=5),
    "WEB_FORM_RATE_WINDOW": env.int("WEB_FORM_RATE_WINDOW", default=3600),
    # E-mails from one sender in an hour beyond which further mail is recorded but not processed.
    "EMAIL_SENDER_HOURLY_LIMIT": env.int("EMAIL_SENDER_HOURLY_LIMIT", default=20),
    # Per sender into a mailbox another app takes (a regulator's forwarding address): higher, not none.
    "FORWARDING_SENDER_HOURLY_LIMIT": env.int("FORWARDING_SENDER_HOURLY_LIMIT", default=200),
    # The authserv-ids of our own receiving mail servers (their Authentication-Results headers are
    # trusted); when set, a mail continues a customer's ticket only if DMARC (or aligned DKIM) passed.
    "MAIL_AUTHSERV_IDS": env.list("MAIL_AUTHSERV_IDS", default=[]),
    # Signed webhooks: how far X-Timestamp may be from our clock (replays outside it are refused).
    "WEBHOOK_MAX_SKEW_SECONDS": env.int("WEBHOOK_MAX_SKEW_SECONDS", default=300),
    # At most one acknowledgement per ticket (and so per customer) in a window of this many seconds:
    # a flood of repeats, or an auto-responder without loop markers, is acknowledged once.
    "ACK_WINDOW_SECONDS": env.int("ACK_WINDOW_SECONDS", default=3600),
    # E-mail larger than this is not fetched or parsed: its head is kept as a failed item, flagged.
    "EMAIL_MAX_BYTES": env.int("EMAIL_MAX_BYTES", default=25 * 1024 * 1024),
    # The promise on the success page and in acknowledgements.
    "ACK_PROMISE_HOURS": env.int("ACK_PROMISE_HOURS", default=24),
    # Development prints SMS; production has no SMS until a gateway is named (SMS is then not delivered).
    "SMS_BACKEND": env.str(
        "SMS_BACKEND", default="channels_intake.outbound.sms.ConsoleSmsBackend" if DEBUG else ""
    ),
    "SMS_GATEWAY_URL": env.str("SMS_GATEWAY_URL", default=""),
    "SMS_GATEWAY_TOKEN": env.str("SMS_GATEWAY_TOKEN", default=""),
    # Dotted path of a class with send(*, openid, text) replacing the built-in WeChat API client;
    # empty: customer-service messages go through the WeChat API with the account's AppSecret.
    "WECHAT_SENDER": env.str("INTAKE_WECHAT_SENDER", default=""),
    # The WeChat (official account) and Enterprise WeChat APIs; tests point them at a local fake server.
    "WECHAT_API_BASE": env.str("WECHAT_API_BASE", default="https://api.weixin.qq.com"),
    "WECOM_API_BASE": env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com"),
}

# Outbound connections to hosts a supervisor configures (IMAP, SMS gateway, callbacks) may not reach
# loopback, private, link-local or reserved addresses, except these host names, addresses or networks
# (e.g. "imap.internal,10.1.2.0/24"). config/outbound_guard.py.
OUTBOUND_ALLOWED_HOSTS = env.list("OUTBOUND_ALLOWED_HOSTS", default=[])

# Satisfaction surveys. Their texts go through INTAKE["SMS_BACKEND"], the one SMS backend; without a
# gateway SMS-only surveys are cancelled rather than reported as sent.
FEEDBACK = {
    "BATCH_SIZE": env.int("SURVEY_BATCH_SIZE", default=100),
}

# Console backends print what they "send": development only. With DEBUG off the process refuses to
# start with one unless ALLOW_CONSOLE_BACKENDS=1 (a staging box), and even then nothing they print is
# recorded as delivered (config/console_backends.py).
ALLOW_CONSOLE_BACKENDS = env.bool("ALLOW_CONSOLE_BACKENDS", default=False)
if not DEBUG and not ALLOW_CONSOLE_BACKENDS:
    _consoles = [
        name
        for name, backend in (
            ("EMAIL_URL (console://)", MAILERS["default"]["BACKEND"]),
            ("SMS_BACKEND", INTAKE["SMS_BACKEND"]),
        )
        if backend.rsplit(".", 1)[-1].startswith("Console")
    ]
    if _consoles:
        raise ImproperlyConfigured(
            f"{', '.join(dict.fromkeys(_consoles))} names a console backend, which delivers nothing: set a "
            "real mail server / SMS gateway, or ALLOW_CONSOLE_BACKENDS=1 for a box that sends to nobody."
        )

# --- REST API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["complaints.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "complaints.api.schema.ComplaintAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "complaints.api.pagination.TicketCursorPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "complaints.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "complaints.api.throttles.AnonymousRateThrottle",
        "complaints.api.throttles.TokenRateThrottle",
    ],
    # Scopes: anon per client IP, user per token (or session user), login per IP on
    # /api/v1/auth/token/, ticket_create per token for POST /api/v1/tickets/.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="60/minute"),
        "user": env.str("API_USER_RATE", default="2000/minute"),
        "login": env.str("API_LOGIN_RATE", default="10/minute"),
        "ticket_create": env.str("API_TICKET_CREATE_RATE", default="120/minute"),
    },
    # Proxies in front of the app (nginx: 1), so the anonymous limit counts the client's IP, not theirs.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=None),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Complaint desk API",
    "DESCRIPTION": (
        "Open, follow and work customer complaints. Authenticate with `Authorization: Token <token>` "
        "(POST /api/v1/auth/token/) or a session. Errors are JSON: "
        '`{"error": {"code", "message", "fields"?, "detail"?}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "complaints.states.Status",
        "ChannelEnum": "complaints.models.tickets.Channel",
        "PriorityEnum": "complaints.models.tickets.Priority",
        "SlaStateEnum": "complaints.models.tickets.SlaState",
        "RemedyEnum": "complaints.models.tickets.Resolution.Remedy",
        "TicketKindEnum": "complaints.models.tickets.Kind",
        "MessageKindEnum": "complaints.models.tickets.Message.Kind",
        "EventKindEnum": "complaints.events.EventKind",
    },
    # Swagger UI and Redoc from the drf-spectacular-sidecar package: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Every page: scripts, styles, fonts and requests from our own origin only, no inline script, never framed.
# (data: images are the icons inside the admin's and Swagger UI's style sheets.)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Responses under these paths carry personal data: `Cache-Control: no-store` (config.middleware), as does
# every response to a signed-in user.
PRIVATE_PATH_PREFIXES = [
    "/desk/",
    "/admin/",
    "/api/",
    "/accounts/",
    "/t/",
    "/track/",
    "/survey/",
    "/submit/done/",
    "/intake/phone/",
]
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # nginx terminates TLS and tells us so.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line: e-mail addresses and phone numbers masked (config/log_masking.py).
    "filters": {"mask_contacts": {"()": "config.log_masking.ContactMaskingFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_contacts"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Failures and lockouts are warnings; its INFO lines (a clean-up query per attempt) are noise.
        "axes": {"level": "WARNING"},
    },
}


# --- Live chat (chat/) ------------------------------------------------------------
# Redis carries chat events between ASGI processes when REDIS_URL is set; one process alone
# (make run's embedded default) keeps them in memory.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals the layer's 5 s blocking receive, so every
                # idle socket's receive timed out and the connection closed (1011): wait longer than it.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CHAT = {
    "MESSAGE_MAX_CHARS": env.int("CHAT_MESSAGE_MAX_CHARS", default=2000),
    # Messages a chat may send per 10 seconds, and new chats one address may start per hour.
    "MESSAGES_PER_10S": env.int("CHAT_MESSAGES_PER_10S", default=20),
    # Per chat and per address across all connections (the shared cache); open customer sockets per chat.
    "MESSAGES_PER_IP_PER_10S": env.int("CHAT_MESSAGES_PER_IP_PER_10S", default=40),
    "SOCKETS_PER_CHAT": env.int("CHAT_SOCKETS_PER_CHAT", default=3),
    "CHATS_PER_IP_PER_HOUR": env.int("CHAT_CHATS_PER_IP_PER_HOUR", default=10),
    "CONNECTIONS_PER_IP": env.int("CHAT_CONNECTIONS_PER_IP", default=20),
    # Seconds an agent has to accept an offered chat before it goes to the next agent.
    "OFFER_SECONDS": env.int("CHAT_OFFER_SECONDS", default=30),
    # Seconds after an agent's connection drops before their chats go back to the queue.
    "AGENT_GRACE_SECONDS": env.int("CHAT_AGENT_GRACE_SECONDS", default=30),
    "DEFAULT_CAPACITY": env.int("CHAT_DEFAULT_CAPACITY", default=3),
    # Sites that may frame /chat/ (the embed snippet), besides our own: comma-separated origins (https://shop.example).
    "EMBED_ORIGINS": env.list("CHAT_EMBED_ORIGINS", default=[]),
}
