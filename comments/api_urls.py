"""The comments' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/sequences/<int:sequence_id>/comments/", api.sequence_comments, name="comments"),
    path("api/comments/<int:comment_id>/", api.comment_detail, name="comment"),
]
