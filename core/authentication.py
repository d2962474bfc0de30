"""Who calls the API and media: a script by its token (``Authorization: Token <key>``), else the session's user.

The one place requests are authenticated by token (the JSON API's ``json_view`` and media both ask
:func:`authenticate_token`); pages take the session only (``login_required``).
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import ApiToken, hash_token
from core.errors import NotAuthenticated

TOKEN_PREFIX = "Token "
LAST_USED_PRECISION = timedelta(minutes=1)


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


def user_from_token_header(header: str):
    """The active user whose token is in an ``Authorization: Token <key>`` header, or None."""
    if not header.startswith(TOKEN_PREFIX):
        return None
    key = header[len(TOKEN_PREFIX):].strip()
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # recorded at most once a minute: a write on every call would make every read of the API a writer
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
