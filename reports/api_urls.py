"""The reports' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/reports/<int:report_id>/", views.report_json, name="report"),
]
