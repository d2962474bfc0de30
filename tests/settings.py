"""The application's settings (annotator/settings.py) as the test suite runs them.

Outside DEBUG the application refuses to start without a SECRET_KEY; a test run, such as CI's on a clean clone
with no .env, signs its sessions with a throwaway key instead. Everything else is read where it always is.
"""

import os

os.environ.setdefault("SECRET_KEY", "django-insecure-test-suite-only")

from annotator.settings import *  # noqa: E402,F403

# Tests log clients in with force_login or through the login form: django-axes needs the request, which
# Client.login does not pass to authenticate().

# The hashed names of the manifest exist only after collectstatic, which a test run does not do.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
