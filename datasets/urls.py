from django.urls import path

from core import jobs_api

from . import views

app_name = "datasets"

urlpatterns = [
    path("datasets/", views.export_list, name="list"),
    path("datasets/exports/<int:export_id>/download/", views.download, name="download"),
    path("datasets/exports/<int:export_id>/cancel/", views.cancel, name="cancel"),
    # The jobs API's /api/jobs/export/<id>/, at its older address.
    path("api/exports/<int:job_id>/", jobs_api.job_status, {"kind": "export"}, name="api-export"),
]
