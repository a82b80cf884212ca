"""printconnect settings.

Everything is declared here; deployments differ only through the environment. With no environment at all
the app runs embedded: a SQLite file, a Celery broker on the filesystem, a file-based cache, console email.
"""

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PRINTCONNECT_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)  # whitenoise warns about a missing STATIC_ROOT

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Development-only keys. printconnect.core.checks refuses them when DEBUG is off (manage.py check, migrate,
# gunicorn through wsgi.py), so a deployment cannot run on them by accident.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-deploy-printconnect"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
FIELD_ENCRYPTION_KEY = env.str(
    "FIELD_ENCRYPTION_KEY",
    default=base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode(),
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address people reach the app at, for links in emails sent outside a request (Celery tasks).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "guardian",
    "django_celery_beat",
    "import_export",
    "django_htmx",
    "printconnect.core",
    "printconnect.clients",
    "printconnect.storefronts",
    "printconnect.catalog",
    "printconnect.orders",
    "printconnect.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "printconnect.urls"
WSGI_APPLICATION = "printconnect.wsgi.application"

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
                "printconnect.clients.context_processors.portal",
                "printconnect.integrations.context_processors.bell",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'printconnect.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process, the worker and beat share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-printconnect.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email is the login; accounts are created by invitation only (see clients.adapters).
ACCOUNT_ADAPTER = "printconnect.clients.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[printconnect] "
# Failed sign-ins: 10 a minute per address, 5 in 5 minutes per account; resets: 20 a minute per address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/300s/key"),
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

# Outbound HTTP to stores (core.http.SafeSession). Private and loopback addresses are refused unless allowed: the
# sandbox and the tests run on loopback.
OUTBOUND_ALLOW_PRIVATE = env.bool("OUTBOUND_ALLOW_PRIVATE", default=False)

# Print files (orders.printfiles): the largest file downloaded or uploaded, and how many times a download that met
# a 5xx or a timeout is tried before the file is marked failed (and its order held).
# Off: print file rows are made but not downloaded (the test suite, a copy of production data).
PRINT_FILE_DOWNLOADS = env.bool("PRINT_FILE_DOWNLOADS", default=True)
PRINT_FILE_MAX_BYTES = env.int("PRINT_FILE_MAX_BYTES", default=500 * 1024 * 1024)
PRINT_FILE_MAX_ATTEMPTS = env.int("PRINT_FILE_MAX_ATTEMPTS", default=5)

# A running feed run whose heartbeat (moved after every page) is older than this is taken as abandoned by a dead
# worker; the next trigger resumes from its cursor. Well above the slowest page with its HTTP retries.
FEED_RUN_STALE_AFTER_SECONDS = env.int("FEED_RUN_STALE_AFTER_SECONDS", default=15 * 60)

# The webhook endpoint only stores a delivery; a task queues the processing of all stored deliveries, kicked at
# most this often per web process (0: at once, for every delivery; the tests use that).
WEBHOOK_QUEUE_EVERY_SECONDS = env.float("WEBHOOK_QUEUE_EVERY_SECONDS", default=1.0)

# The outbox dispatcher (integrations.services.outbox): postbacks and store updates of order events.
# A failed delivery is retried after RETRY_BASE * 2^(attempts-1) seconds (at most RETRY_MAX) until GIVE_UP_AFTER
# seconds after its event; then it gives up with an Error. A dispatcher owns the deliveries it claimed for
# CLAIM_SECONDS (more than BATCH sends at their timeouts): a delivery whose worker died is sent again after that.
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
OUTBOX_GIVE_UP_AFTER_SECONDS = env.float("OUTBOX_GIVE_UP_AFTER_SECONDS", default=48 * 3600.0)
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=20)
OUTBOX_CLAIM_SECONDS = env.float("OUTBOX_CLAIM_SECONDS", default=300.0)
OUTBOX_FANOUT_HORIZON_SECONDS = env.float("OUTBOX_FANOUT_HORIZON_SECONDS", default=600.0)
# One dispatch task runs at most this long, then queues the next one (so one worker is not held for ever).
OUTBOX_DISPATCH_BUDGET_SECONDS = env.float("OUTBOX_DISPATCH_BUDGET_SECONDS", default=50.0)
# After a commit with an outbox row, a dispatch task is queued at most once per this many seconds per process.
OUTBOX_KICK_EVERY_SECONDS = env.float("OUTBOX_KICK_EVERY_SECONDS", default=0.5)
POSTBACK_CONNECT_TIMEOUT = env.float("POSTBACK_CONNECT_TIMEOUT", default=3.0)
POSTBACK_READ_TIMEOUT = env.float("POSTBACK_READ_TIMEOUT", default=10.0)
# After "Rotate secret" postbacks are signed with the old secret as well for this long.
POSTBACK_SECRET_GRACE_SECONDS = env.int("POSTBACK_SECRET_GRACE_SECONDS", default=24 * 3600)

INVITATION_MAX_AGE_DAYS = env.int("INVITATION_MAX_AGE_DAYS", default=7)

# Largest product mapping file (CSV or XLSX) a client may upload on a store's Bulk operations page.
MAPPING_IMPORT_MAX_BYTES = env.int("MAPPING_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Orders CSV import of a manual store: the largest file and the most rows (order lines) one upload may hold.
ORDER_IMPORT_MAX_BYTES = env.int("ORDER_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
ORDER_IMPORT_MAX_ROWS = env.int("ORDER_IMPORT_MAX_ROWS", default=5000)
# The currency a manual order gets unless the form or the CSV names another (ISO 4217).
MANUAL_ORDER_DEFAULT_CURRENCY = env.str("MANUAL_ORDER_DEFAULT_CURRENCY", default="EUR")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Email: EMAIL_URL such as smtp+tls://user:password@smtp.example.com:587; the default prints emails.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="printconnect <no-reply@printconnect.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 15

# Celery. Embedded default: the filesystem transport, which needs no server. Queues follow DESIGN section 8.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = VAR_DIR / "broker"

# A worker killed mid-task loses nothing: a task is acknowledged only once it has finished (acks_late), is put
# back when its worker process dies (reject_on_worker_lost), and each process reserves one task at a time
# (prefetch 1), so a dead worker takes no queued work with it. TASK_MAX_REDELIVERIES stops a task that keeps
# killing its workers (printconnect.core.deliveries).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
TASK_MAX_REDELIVERIES = env.int("TASK_MAX_REDELIVERIES", default=3)
# How long a worker waits for a word from a pool process that died before it puts the process' task back.
CELERY_WORKER_LOST_WAIT = env.float("CELERY_WORKER_LOST_WAIT", default=10.0)
# With late acks, a task whose broker connection drops is redelivered anyway; stop it rather than run it twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# A task's message stays unacknowledged while it waits for its retry countdown (held by a worker) and while it
# runs, so Redis' visibility timeout must exceed the longest countdown plus the hard time limit; otherwise Redis
# hands a live task to a second worker. The soft limit raises inside the task (a feed run closes as failed, its
# cursor kept); the hard one kills the process.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=CELERY_TASK_TIME_LIMIT - 60)
TASK_RETRY_COUNTDOWN_MAX = env.int("TASK_RETRY_COUNTDOWN_MAX", default=30 * 60)
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be above 0 and below CELERY_TASK_TIME_LIMIT.")
if _visibility_timeout <= TASK_RETRY_COUNTDOWN_MAX + CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({_visibility_timeout} s) must exceed TASK_RETRY_COUNTDOWN_MAX plus "
        f"CELERY_TASK_TIME_LIMIT ({TASK_RETRY_COUNTDOWN_MAX + CELERY_TASK_TIME_LIMIT} s), or Redis hands running "
        "tasks to a second worker: raise the timeout or lower the other two."
    )
if FEED_RUN_STALE_AFTER_SECONDS >= TASK_RETRY_COUNTDOWN_MAX:
    raise ImproperlyConfigured(
        "FEED_RUN_STALE_AFTER_SECONDS must be below TASK_RETRY_COUNTDOWN_MAX: a redelivered feed run waits that "
        "long before taking over the run its dead worker left."
    )

if CELERY_BROKER_URL.startswith("filesystem://"):
    # This transport forgets the tasks a worker held when the whole worker dies (a killed pool process is fine:
    # its task is put back); the feed's next trigger then takes over the dead run by its stale heartbeat.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
else:
    # Redis hands an unacknowledged task to another worker after the visibility timeout (its worker died whole,
    # machine and all). Workers sweep for such tasks every CELERY_UNACKED_RESTORE_SECONDS (kombu: about 100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
    if _restore_every := env.int("CELERY_UNACKED_RESTORE_SECONDS", default=0):
        CELERY_BROKER_TRANSPORT_OPTIONS |= {"unacked_restore_interval": _restore_every, "unacked_restore_throttle": 1}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
