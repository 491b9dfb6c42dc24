"""DRF authentication by workspace API key: `Authorization: Bearer omf_live_…`."""

from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiKey
from .selectors import api_key_for_plaintext

LAST_USED_RESOLUTION_SECONDS = 60


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by API key; `request.auth` is the ApiKey, `request.user` too."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            raise exceptions.AuthenticationFailed(
                "Use the Bearer scheme: 'Authorization: Bearer omf_live_…'."
            )
        credentials = credentials.strip()
        if not credentials or " " in credentials:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        api_key = api_key_for_plaintext(plaintext=credentials)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if api_key.is_revoked:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        if api_key.is_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        _touch_last_used(api_key)
        return (ApiKeyUser(api_key), api_key)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="omniflow"'


class ApiKeyUser:
    """The principal of a key-authenticated request (not a Django user)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.pk = self.id = f"apikey:{api_key.pk}"
        self.workspace = api_key.workspace

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}…"


def _touch_last_used(api_key: ApiKey) -> None:
    """Record use at most once a minute per key, so the request path rarely writes."""
    if cache.add(f"apikey:used:{api_key.pk}", 1, LAST_USED_RESOLUTION_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
