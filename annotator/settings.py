"""Settings of the annotation workbench: the one place that reads configuration.

Every value comes from the environment or a `.env` file beside `manage.py` (see `.env.example`).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def env_path(name: str, default: Path) -> Path:
    """A path setting; relative paths are taken from the folder of manage.py."""
    path = Path(env(name, default=str(default)))
    return path if path.is_absolute() else BASE_DIR / path


SECRET_KEY = env("SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DEBUG", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "sequences",
    "tags",
    "masks",
    "extrapolation",
    "findings",
    "datasets",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    # The web server and the worker write concurrently: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles")

MEDIA_ROOT = env_path("MEDIA_ROOT", BASE_DIR / "media")
MEDIA_URL = env("MEDIA_URL", default="/media/")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sequences:list"
LOGOUT_REDIRECT_URL = "login"

# Uploads of whole procedures (zip, video) are large: stream them to disk, cap the request size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=4 * 1024**3)
# Live streams (online mode) one server process plays at once; each keeps a CPU core busy. Past it: HTTP 429.
LIVE_MAX_STREAMS = env.int("LIVE_MAX_STREAMS", default=2)

# Segmentation. With SAM_CHECKPOINT empty the CPU default (OpenCV) segmenter is used.
SAM_CHECKPOINT = env("SAM_CHECKPOINT", default="")
SAM_MODEL_TYPE = env("SAM_MODEL_TYPE", default="vit_b")
SAM_DEVICE = env("SAM_DEVICE", default="")  # empty: cuda when available, else cpu
SAM_EMBEDDING_CACHE_DIR = env_path("SAM_EMBEDDING_CACHE_DIR", MEDIA_ROOT / "cache" / "embeddings")
SAM_MEMORY_CACHE_FRAMES = env.int("SAM_MEMORY_CACHE_FRAMES", default=8)
SAM_EMBEDDING_CACHE_MAX_MB = env.int("SAM_EMBEDDING_CACHE_MAX_MB", default=4096)

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
