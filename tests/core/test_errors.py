"""Errors carry their HTTP status and are answered in two places: JSON for the API (core.api.json_errors), a page
for everything else (core.middleware.ErrorPagesMiddleware). Token authentication and the CSRF check answer the
same way for the API and for media."""

from __future__ import annotations

from html import escape

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from core.api import json_view
from core.errors import Busy, Conflict, InvalidInput, NotAuthenticated, NotFound, TooLarge

pytestmark = pytest.mark.django_db

ERRORS = {
    "invalid": (InvalidInput("Field 'x' must be a number."), 400),
    "unauthenticated": (NotAuthenticated("Invalid API token."), 401),
    "missing": (NotFound("No sequence with id 7."), 404),
    "conflict": (Conflict("Track 3 is already being extrapolated."), 409),
    "large": (TooLarge("The PNG is larger than 64 MB."), 413),
    "busy": (Busy("Two live streams play already.", retry_after=7), 429),
}


def page(request, kind: str) -> HttpResponse:
    raise ERRORS[kind][0]


@json_view(("GET", "POST"))
def api(request, kind: str):
    raise ERRORS[kind][0]


# The pages extend base.html, which links the project's pages.
urlpatterns = [path("page/<str:kind>/", page), path("api/<str:kind>/", api), path("", include("annotator.urls"))]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ERRORS)
def test_an_error_a_page_lets_through_answers_its_status_with_a_page_saying_why(client_logged_in, kind):
    error, status = ERRORS[kind]
    response = client_logged_in.get(f"/page/{kind}/")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert escape(str(error)) in response.content.decode()
    assert response.get("Retry-After") == ("7" if status == 429 else None)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ERRORS)
def test_the_same_error_from_the_api_answers_its_status_in_json(api, kind):
    error, status = ERRORS[kind]
    response = api.get(f"/api/{kind}/")
    assert response.status_code == status
    assert response.json() == {"error": str(error)}
    assert response.get("Retry-After") == ("7" if status == 429 else None)


def test_an_invalid_token_is_refused_by_the_api_and_by_media_alike(sequence):
    frame = sequence.frames.first()
    stranger = Client(HTTP_AUTHORIZATION="Token not-a-key")
    refused = stranger.get("/api/tags/")
    assert refused.status_code == 401 and refused.json() == {"error": "Invalid API token."}
    refused = stranger.get(frame.image.url)
    assert refused.status_code == 401 and "Invalid API token." in refused.content.decode()


def test_a_valid_token_opens_the_api_and_media_and_nothing_without_one_does(api, sequence):
    frame = sequence.frames.first()
    assert api.get("/api/tags/").status_code == 200
    assert api.get(frame.image.url).status_code == 200
    assert Client().get("/api/tags/").status_code == 401
    assert Client().get(frame.image.url).status_code == 302  # to the login page


def test_a_session_write_without_its_csrf_token_is_refused_in_json_by_the_api_and_as_a_page_elsewhere(
    client_logged_in, sequence
):
    refused = client_logged_in.post(f"/api/sequences/{sequence.id}/status/", {"status": "done"},
                                    content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("CSRF check failed: ")
    refused = client_logged_in.post(f"/sequences/{sequence.id}/status/", {"status": "done"})
    assert refused.status_code == 403 and refused["Content-Type"].startswith("text/html")
    sequence.refresh_from_db()
    assert sequence.status != "done"
