"""Top-level URLs: pages, the JSON API (including the seed's /generate_mask/), admin, login, media."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from annotator.media import protected_media
from comments import api as comment_api
from extrapolation import api as extrapolation_api
from findings import api as finding_api
from masks import api as mask_api
from sequences import api as sequence_api
from tags import api as tag_api

api_patterns = [
    path("tags/", tag_api.tag_list, name="tags"),
    path("sequences/", sequence_api.sequence_list, name="sequences"),
    path("sequences/<int:sequence_id>/", sequence_api.sequence_frames, name="sequence"),
    path("sequences/<int:sequence_id>/frames/", sequence_api.sequence_frames, name="frames"),
    path("sequences/<int:sequence_id>/masks/", mask_api.sequence_masks, name="masks"),
    path("sequences/<int:sequence_id>/tags/<int:tag_id>/masks/", mask_api.tag_masks, name="tag-masks"),
    path("masks/restore/", mask_api.restore_mask, name="mask-restore"),
    path("masks/<int:mask_id>/", mask_api.mask_detail, name="mask"),
    path("sequences/<int:sequence_id>/embeddings/", mask_api.sequence_embeddings, name="embeddings"),
    path("sequences/<int:sequence_id>/jobs/", extrapolation_api.sequence_jobs, name="sequence-jobs"),
    path("sequences/<int:sequence_id>/review/", extrapolation_api.sequence_review, name="sequence-review"),
    path("jobs/", include("core.jobs_urls")),
    path("tracks/<int:track_id>/", extrapolation_api.track_detail, name="track"),
    path("sequences/<int:sequence_id>/timeline/", sequence_api.sequence_timeline, name="timeline"),
    path("sequences/<int:sequence_id>/status/", sequence_api.sequence_status, name="sequence-status"),
    path("masks/<int:mask_id>/pixels/", mask_api.mask_pixels, name="mask-pixels"),
    path("masks/<int:mask_id>/review/", mask_api.mask_review, name="mask-review"),
    path("sequences/<int:sequence_id>/findings/", finding_api.sequence_findings, name="findings"),
    path("findings/<int:finding_id>/", finding_api.finding_detail, name="finding"),
    path("sequences/<int:sequence_id>/comments/", comment_api.sequence_comments, name="comments"),
    path("comments/<int:comment_id>/", comment_api.comment_detail, name="comment"),
]

urlpatterns = [
    path("generate_mask/", mask_api.generate_mask, name="generate-mask"),
    path("extrapolate_masks/", extrapolation_api.extrapolate_masks, name="extrapolate-masks"),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Frames and masks are served by Django itself, to logged-in users only.
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$", protected_media, name="media"),
    path("", include("datasets.urls")),
    path("", include("training.urls")),
    path("", include("reports.urls")),
    path("", include("findings.urls")),
    path("", include("sequences.urls")),
]
