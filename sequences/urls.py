from django.urls import path

from . import views

app_name = "sequences"

urlpatterns = [
    path("", views.sequence_list, name="list"),
    path("sequences/import/", views.import_view, name="import"),
    path("sequences/<int:sequence_id>/", views.sequence_detail, name="detail"),
    path("sequences/<int:sequence_id>/status/", views.sequence_status, name="status"),
    path("sequences/<int:sequence_id>/delete/", views.sequence_delete, name="delete"),
    path("sequences/<int:sequence_id>/annotate/", views.annotate, name="annotate"),
]
