"""The exports' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/exports/<int:export_id>/", api.export_status, name="export"),
]
