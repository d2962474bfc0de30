"""Settings of the annotation workbench: the one place that reads configuration.

Every value comes from the environment or a `.env` file beside `manage.py` (or the file `ENV_FILE` names);
`.env.example` documents each one for local use, `.env.production.example` for a production server.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_path(name: str, default: Path) -> Path:
    """A path setting; relative paths are taken from the folder of manage.py."""
    path = Path(env(name, default=str(default)))
    return path if path.is_absolute() else BASE_DIR / path


# Variables already in the environment win over the file's.
environ.Env.read_env(env_path("ENV_FILE", BASE_DIR / ".env"))

# Off unless set: DEBUG's error pages show settings, tracebacks and the URL list to whoever triggers them.
DEBUG = env.bool("DEBUG", default=False)
# Sessions, CSRF tokens and password-reset links are signed with it: a key anyone can read forges them all.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. For local use run ./scripts/run (it writes a .env with DEBUG=True and a random "
            "key) or set DEBUG=True; on a server set SECRET_KEY to a long random value (.env.production.example)."
        )
    SECRET_KEY = "django-insecure-local-debug-only"  # only with DEBUG on; `check --deploy` flags the prefix
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. The defaults suit plain HTTP on one's own machine; a server sets them (.env.production.example).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Behind a reverse proxy that terminates TLS: the header it sets and its value for HTTPS, e.g.
# HTTP_X_FORWARDED_PROTO,https (the proxy must overwrite a client's own copy of the header).
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver serves static files through WhiteNoise too, as production does
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "core",  # before django_tasks_db: its db_worker command (core/management) also fails jobs whose worker died
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "sequences",
    "tags",
    "masks",
    "extrapolation",
    "findings",
    "comments",
    "review",
    "datasets",
    "training",
    "reports",
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
    "core.middleware.ErrorPagesMiddleware",  # a page's error answers its status (400…429; a busy database 503), not 500
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: it answers a locked-out login
]

ROOT_URLCONF = "annotator.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "annotator.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several people, the web processes and the job workers write at once. SQLite copes the way multi-writer
    # Django sites use it: WAL (readers never wait for the writer), transactions that take the write lock when
    # they begin (BEGIN IMMEDIATE: a transaction never fails half-way upgrading a read lock, it waits), and a
    # busy timeout for that wait. A lock still held after the timeout answers 503 with Retry-After.
    _sqlite = DATABASES["default"].setdefault("OPTIONS", {})
    _sqlite.setdefault("timeout", env.int("SQLITE_BUSY_TIMEOUT", default=20))
    _sqlite.setdefault("transaction_mode", "IMMEDIATE")
    _sqlite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise serves what collectstatic gathered, compressed, under names that carry a hash of the content:
    # browsers keep them for a year and never run an old annotate.js after an upgrade. With DEBUG on, the plain
    # names are served from the source folders.
    "staticfiles": {"BACKEND": "annotator.staticfiles.StaticFilesStorage"},
}

MEDIA_ROOT = env_path("MEDIA_ROOT", BASE_DIR / "media")
MEDIA_URL = env("MEDIA_URL", default="/media/")

# A failed CSRF check: Django's page, or {"error"} 403 for the JSON API.
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sequences:list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins, a user name is refused from that address
# for LOGIN_LOCKOUT_MINUTES, even with the right password (HTTP 429). Keyed on the pair, not the address alone:
# behind a proxy every client has the proxy's address, and one person's typos must not lock out the lab.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no banner on every manage.py command; failures and lockouts are still logged

# Content-Security-Policy (django-csp): scripts, styles, fonts and frames come from this site only, so an injected
# <script>, inline event handler or style attribute does not run. Frames, masks and thumbnails are /media/ URLs;
# mask previews and the live page's frames are data: URLs; the API and the live page's Server-Sent Events stream
# are same-origin connections.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Uploads of whole procedures (zip, video) are large: stream them to disk, cap the request size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=4 * 1024**3)
# Uploads are stopped at MAX_UPLOAD_BYTES while they stream in (and at once from anyone not logged in),
# before the handlers after it keep them in memory or spool them to a temporary file.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# What an imported source may make the server read and decode (sequences.sources.SourceLimits): pixels of one
# frame (checked from the image's or video's header before decoding; also for masks and live uploads), bytes of
# one image file or zip entry, uncompressed bytes of a zip's images, and the compression ratio of a zip entry.
MAX_FRAME_PIXELS = env.int("MAX_FRAME_PIXELS", default=4096 * 4096)
MAX_IMAGE_BYTES = env.int("MAX_IMAGE_BYTES", default=128 * 1024**2)
MAX_ZIP_BYTES = env.int("MAX_ZIP_BYTES", default=16 * 1024**3)
MAX_ZIP_RATIO = env.float("MAX_ZIP_RATIO", default=100.0)
# Live streams (online mode) one server process plays at once; each keeps a CPU core busy. Past it: HTTP 429.
LIVE_MAX_STREAMS = env.int("LIVE_MAX_STREAMS", default=2)

# Segmentation. With SAM_CHECKPOINT empty the CPU default (OpenCV) segmenter is used.
SAM_CHECKPOINT = env("SAM_CHECKPOINT", default="")
SAM_MODEL_TYPE = env("SAM_MODEL_TYPE", default="vit_b")
SAM_DEVICE = env("SAM_DEVICE", default="")  # empty: cuda when available, else cpu
SAM_EMBEDDING_CACHE_DIR = env_path("SAM_EMBEDDING_CACHE_DIR", MEDIA_ROOT / "cache" / "embeddings")
SAM_MEMORY_CACHE_FRAMES = env.int("SAM_MEMORY_CACHE_FRAMES", default=8)
SAM_EMBEDDING_CACHE_MAX_MB = env.int("SAM_EMBEDDING_CACHE_MAX_MB", default=4096)
# Prompt points one segmentation request may carry (an annotator uses a few dozen at most).
MAX_PROMPT_POINTS = env.int("MAX_PROMPT_POINTS", default=200)

# Background jobs (extrapolation, embedding precompute) through Django's Tasks API (the django-tasks
# backport). Default: the database backend, run by `manage.py db_worker` (scripts/run starts one); on
# PostgreSQL several workers, on as many machines, share the queue without running a job twice.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A running job whose worker has not reported for this long is marked failed (the worker died).
JOB_STALE_SECONDS = env.int("JOB_STALE_SECONDS", default=120)

# Extrapolation: a propagated mask less confident than this is not written (the frame is left to the annotator
# and shown as such); after a person corrects a mask of an extrapolated track, the frames between its
# neighbouring keyframes are recomputed at once.
EXTRAPOLATION_MIN_CONFIDENCE = env.float("EXTRAPOLATION_MIN_CONFIDENCE", default=0.1)
EXTRAPOLATE_AFTER_CORRECTION = env.bool("EXTRAPOLATE_AFTER_CORRECTION", default=True)

# Production serving (scripts/serve, gunicorn.conf.py): gunicorn's address, its worker processes and the threads
# of each (a live page's stream holds one thread while it plays), and the job workers scripts/serve starts.
SERVE_ADDRESS = env("SERVE_ADDRESS", default="127.0.0.1:8000")
WEB_WORKERS = env.int("WEB_WORKERS", default=3)
WEB_THREADS = env.int("WEB_THREADS", default=8)
JOB_WORKERS = env.int("JOB_WORKERS", default=2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
