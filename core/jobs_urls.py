"""URLs of the jobs API (included under ``api/jobs/``): ``<kind>/<id>/``, and the extrapolation job's older
``<uuid>/`` and ``<uuid>/cancel/``, aliases answering the same. The other kinds' older URLs stay in their apps'
URL modules, pointing at the same views."""

from django.urls import path

from . import jobs_api

EXTRAPOLATION = {"kind": "extrapolation"}

urlpatterns = [
    path("<uuid:job_id>/", jobs_api.job_status, EXTRAPOLATION, name="job"),
    path("<uuid:job_id>/cancel/", jobs_api.job_cancel, EXTRAPOLATION, name="job-cancel"),
    path("<slug:kind>/<str:job_id>/", jobs_api.job_detail, name="job-of-kind"),
]
