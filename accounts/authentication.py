"""Authenticating API requests by token."""

from datetime import timedelta

from django.utils import timezone

from .models import ApiToken, hash_token

TOKEN_PREFIX = "Token "
LAST_USED_PRECISION = timedelta(minutes=1)


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
