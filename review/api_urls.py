"""The review's JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/sequences/<int:sequence_id>/timeline/", api.sequence_timeline, name="timeline"),
    path("api/sequences/<int:sequence_id>/status/", api.sequence_status, name="sequence-status"),
    path("api/sequences/<int:sequence_id>/review/", api.sequence_review, name="sequence-review"),
]
