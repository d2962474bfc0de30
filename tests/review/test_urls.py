"""The review's pages and endpoints kept the paths and names they had before the review app."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse

from review import api, views
from sequences import views as sequence_views


@pytest.mark.parametrize(("name", "kwargs", "path", "view"), [
    ("sequences:list", {}, "/", views.sequence_list),
    ("sequences:detail", {"sequence_id": 3}, "/sequences/3/", views.sequence_detail),
    ("sequences:status", {"sequence_id": 3}, "/sequences/3/status/", views.sequence_status),
    ("sequences:delete", {"sequence_id": 3}, "/sequences/3/delete/", views.sequence_delete),
    ("sequences:annotate", {"sequence_id": 3}, "/sequences/3/annotate/", views.annotate),
    ("sequences:import", {}, "/sequences/import/", sequence_views.import_view),
    ("api:timeline", {"sequence_id": 3}, "/api/sequences/3/timeline/", api.sequence_timeline),
    ("api:sequence-review", {"sequence_id": 3}, "/api/sequences/3/review/", api.sequence_review),
    ("api:sequence-status", {"sequence_id": 3}, "/api/sequences/3/status/", api.sequence_status),
])
def test_a_moved_page_keeps_its_path_and_name(name, kwargs, path, view):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).func == view
