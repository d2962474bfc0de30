"""The exports' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py): an export's
status is the jobs API's (``/api/jobs/export/<id>/``), kept at its older address."""

from django.urls import path

from core import jobs_api

urlpatterns = [
    path("api/exports/<int:job_id>/", jobs_api.job_status, {"kind": "export"}, name="export"),
]
