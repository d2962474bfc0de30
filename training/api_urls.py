"""Training's JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py). A training
run's and a pre-annotation's status and cancel are the jobs API's (``/api/jobs/<kind>/<id>/``), kept at their
older addresses."""

from django.urls import path

from core import jobs_api

from . import api

TRAINING_RUN, PREANNOTATION = {"kind": "training-run"}, {"kind": "preannotation"}

urlpatterns = [
    path("api/training-runs/<int:job_id>/", jobs_api.job_status, TRAINING_RUN, name="training-run"),
    path("api/models/<int:model_id>/preannotate/", api.preannotate, name="preannotate"),
    path("api/preannotations/<int:job_id>/", jobs_api.job_status, PREANNOTATION, name="preannotation"),
    path("api/preannotations/<int:job_id>/cancel/", jobs_api.job_cancel, PREANNOTATION, name="preannotation-cancel"),
]
