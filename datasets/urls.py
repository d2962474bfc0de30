from django.urls import path

from . import api, views

app_name = "datasets"

urlpatterns = [
    path("datasets/", views.export_list, name="list"),
    path("datasets/exports/<int:export_id>/download/", views.download, name="download"),
    path("datasets/exports/<int:export_id>/cancel/", views.cancel, name="cancel"),
    path("api/exports/<int:export_id>/", api.export_status, name="api-export"),
]
