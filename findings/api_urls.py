"""The frame findings' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/sequences/<int:sequence_id>/findings/", api.sequence_findings, name="findings"),
    path("api/findings/<int:finding_id>/", api.finding_detail, name="finding"),
]
