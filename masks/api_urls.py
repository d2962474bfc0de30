"""The masks' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("generate_mask/", api.generate_mask, name="generate-mask"),  # the scripts' endpoint
    path("api/sequences/<int:sequence_id>/masks/", api.sequence_masks, name="masks"),
    path("api/sequences/<int:sequence_id>/tags/<int:tag_id>/masks/", api.tag_masks, name="tag-masks"),
    path("api/masks/restore/", api.restore_mask, name="mask-restore"),
    path("api/masks/<int:mask_id>/", api.mask_detail, name="mask"),
    path("api/sequences/<int:sequence_id>/embeddings/", api.sequence_embeddings, name="embeddings"),
    path("api/masks/<int:mask_id>/pixels/", api.mask_pixels, name="mask-pixels"),
    path("api/masks/<int:mask_id>/review/", api.mask_review, name="mask-review"),
]
