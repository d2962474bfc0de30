"""The sequences' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/sequences/", api.sequence_list, name="sequences"),
    path("api/sequences/<int:sequence_id>/", api.sequence_frames, name="sequence"),
    path("api/sequences/<int:sequence_id>/frames/", api.sequence_frames, name="frames"),
]
