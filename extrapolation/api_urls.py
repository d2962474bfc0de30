"""Extrapolation's JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("extrapolate_masks/", api.extrapolate_masks, name="extrapolate-masks"),  # the scripts' endpoint
    path("api/sequences/<int:sequence_id>/jobs/", api.sequence_jobs, name="sequence-jobs"),
    path("api/tracks/<int:track_id>/", api.track_detail, name="track"),
]
