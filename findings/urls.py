from django.urls import path

from . import views

app_name = "findings"

urlpatterns = [
    path("findings/import/", views.import_findings, name="import"),
]
