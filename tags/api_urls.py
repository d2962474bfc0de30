"""The tags' JSON API (names in the project's ``api`` namespace, included once by annotator/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("api/tags/", api.tag_list, name="tags"),
]
