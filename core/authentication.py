"""Who calls the API and media: a script by its token (``Authorization: Token <key>``), else the session's user.

The one place requests are authenticated by token; pages take the session only (``login_required``).
"""

from __future__ import annotations

from django.http import HttpRequest

from accounts.authentication import user_from_token_header
from core.errors import NotAuthenticated


def authenticate_token(request: HttpRequest) -> bool:
    """When ``request`` carries an ``Authorization`` header, make the active user whose token it names
    ``request.user`` and return True; raise NotAuthenticated when it names none. False without the header
    (``request.user`` stays the session's user, whose writes need the CSRF check)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return False
    user = user_from_token_header(header)
    if user is None:
        raise NotAuthenticated("Invalid API token.")
    request.user = user
    return True
