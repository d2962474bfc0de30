"""Training's JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/training-runs/<int:run_id>/", api.run_status, name="training-run"),
    path("api/models/<int:model_id>/preannotate/", api.preannotate, name="preannotate"),
    path("api/preannotations/<int:job_id>/", api.preannotation_status, name="preannotation"),
    path("api/preannotations/<int:job_id>/cancel/", api.preannotation_cancel, name="preannotation-cancel"),
]
