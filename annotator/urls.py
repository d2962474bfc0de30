"""Top-level URLs: each app's pages and its JSON API (``<app>/api_urls.py``, the names in the ``api`` namespace,
the scripts' /generate_mask/ and /extrapolate_masks/ among them), the admin, login, media."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from core.media import protected_media
from review import urls as review_urls
from sequences import urls as sequence_urls

#: The apps with a JSON API, each in its own api_urls.py.
API_APPS = (
    "tags", "sequences", "masks", "extrapolation", "findings", "comments", "review", "training", "datasets", "reports",
)

api_patterns = [
    path("api/jobs/", include("core.jobs_urls")),
    *(path("", include(f"{app}.api_urls")) for app in API_APPS),
]

urlpatterns = [
    path("", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Frames and masks are served by Django itself, to logged-in users only.
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", protected_media, name="media"),
    path("", include("datasets.urls")),
    path("", include("training.urls")),
    path("", include("reports.urls")),
    path("", include("findings.urls")),
    # One namespace, two apps: sequences' import page and the review's pages keep their names (sequences:annotate).
    path("", include((sequence_urls.urlpatterns + review_urls.urlpatterns, sequence_urls.app_name))),
]
