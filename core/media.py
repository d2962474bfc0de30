"""Serving MEDIA_ROOT (frames and masks of patients' procedures) to authenticated users only."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.views.static import serve

from core.authentication import authenticate_token


def protected_media(request: HttpRequest, path: str) -> HttpResponse:
    """A media file for a logged-in user or a script with a token (an invalid token answers 401)."""
    if not authenticate_token(request) and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    # Frames and masks never change under a given name, so browsers may keep them.
    response["Cache-Control"] = "private, max-age=86400"
    return response
