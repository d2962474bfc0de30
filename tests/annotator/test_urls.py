"""Each app's JSON API is reached by name (the ``api`` namespace) at the paths scripts and pages have always used."""

from __future__ import annotations

import uuid

import pytest
from django.urls import resolve, reverse

JOB = uuid.UUID("12345678-1234-5678-1234-567812345678")

PATHS = [
    ("api:generate-mask", [], "/generate_mask/"),
    ("api:extrapolate-masks", [], "/extrapolate_masks/"),
    ("api:tags", [], "/api/tags/"),
    ("api:sequence", [3], "/api/sequences/3/"),
    ("api:timeline", [3], "/api/sequences/3/timeline/"),
    ("api:tag-masks", [3, 4], "/api/sequences/3/tags/4/masks/"),
    ("api:mask-restore", [], "/api/masks/restore/"),
    ("api:mask-pixels", [5], "/api/masks/5/pixels/"),
    ("api:job", [JOB], f"/api/jobs/{JOB}/"),
    ("api:job-cancel", [JOB], f"/api/jobs/{JOB}/cancel/"),
    ("api:track", [6], "/api/tracks/6/"),
    ("api:finding", [7], "/api/findings/7/"),
    ("api:comment", [8], "/api/comments/8/"),
    ("api:training-run", [9], "/api/training-runs/9/"),
    ("api:preannotate", [9], "/api/models/9/preannotate/"),
    ("api:preannotation-cancel", [9], "/api/preannotations/9/cancel/"),
    ("api:export", [10], "/api/exports/10/"),
    ("api:report", [11], "/api/reports/11/"),
]


@pytest.mark.parametrize("name, args, path", PATHS)
def test_api_names_reverse_to_the_paths_of_before_and_back(name, args, path):
    assert reverse(name, args=args) == path
    assert resolve(path).view_name == name

