from django.urls import path

from . import views

app_name = "datasets"

urlpatterns = [
    path("datasets/", views.export_list, name="list"),
    path("datasets/exports/<int:export_id>/download/", views.download, name="download"),
    path("datasets/exports/<int:export_id>/cancel/", views.cancel, name="cancel"),
]
