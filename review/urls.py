"""The review's pages. Named in the ``sequences`` namespace as they were before this app (``sequences:annotate``):
annotator/urls.py includes them together with sequences/urls.py under that namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.sequence_list, name="list"),
    path("sequences/<int:sequence_id>/", views.sequence_detail, name="detail"),
    path("sequences/<int:sequence_id>/status/", views.sequence_status, name="status"),
    path("sequences/<int:sequence_id>/delete/", views.sequence_delete, name="delete"),
    path("sequences/<int:sequence_id>/annotate/", views.annotate, name="annotate"),
]
