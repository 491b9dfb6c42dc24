"""DRF authentication by workspace API key: `Authorization: Bearer omf_live_…`."""

import ipaddress
import time

from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from omniflow.ratelimits import client_ip

from .models import ApiKey
from .selectors import (
    api_key_cache_keys,
    api_key_for_plaintext,
    api_key_forget_remembered,
    api_key_remembered,
)
from .throttling import key_usage_count, unauthenticated_count_or_refuse

LAST_USED_RESOLUTION_SECONDS = 60


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticate a request by API key; `request.auth` is the ApiKey, `request.user` too.

    Requests with a bad key count against their client IP (see `throttling`) and get 429
    instead of 401 once it is used up. A valid key's request is counted against the key's limits
    here rather than only in the throttle, because DRF checks permissions before throttles: a
    request refused for scope is counted and reports its allowance too.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        credentials = self._credentials(request)
        if credentials is None:
            # Counted by HasApiKeyScope if the view needs a key (the schema and docs do not).
            return None
        api_key = self._remembered_key(request, credentials) or self._looked_up_key(
            request, credentials
        )
        return (ApiKeyUser(api_key), api_key)

    def _credentials(self, request) -> str | None:
        """Return the key the Authorization header carries (None without the header)."""
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            raise self._failure(
                request, "Use the Bearer scheme: 'Authorization: Bearer omf_live_…'."
            )
        credentials = credentials.strip()
        if not credentials or " " in credentials:
            raise self._failure(request, "Malformed Authorization header.")
        return credentials

    def _remembered_key(self, request, credentials: str) -> ApiKey | None:
        """Return a key this process knows and which is still current, its use counted."""
        remembered = api_key_remembered(plaintext=credentials)
        if remembered is None:
            return None
        # One round trip checks it is still current and counts the request, or finds it
        # changed and counts nothing (then the caller reads it afresh).
        api_key, generation = remembered
        django_request = request._request
        counted = key_usage_count(request=django_request, api_key=api_key, generation=generation)
        if counted.stale:
            api_key_forget_remembered(prefix=api_key.prefix)
            return None
        _touch_last_used(api_key, ip=client_ip(django_request))
        return api_key

    def _looked_up_key(self, request, credentials: str) -> ApiKey:
        """Return the current key of these credentials, its use counted, or refuse."""
        # A valid key is served even from a client IP that has used up its failures: that IP
        # may be a whole office behind one NAT (the failures are refused in `_failure`).
        cached = cache.get_many(api_key_cache_keys(plaintext=credentials))
        api_key = api_key_for_plaintext(plaintext=credentials, cached=cached)
        if api_key is None:
            raise self._failure(request, "Invalid API key.")
        if api_key.is_revoked:
            raise self._failure(request, "This API key has been revoked.")
        if api_key.is_expired:
            raise self._failure(request, "This API key has expired.")
        django_request = request._request
        key_usage_count(request=django_request, api_key=api_key)
        _touch_last_used(api_key, ip=client_ip(django_request))
        return api_key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="omniflow"'

    def _failure(self, request, message: str) -> exceptions.APIException:
        unauthenticated_count_or_refuse(request=request._request)
        return exceptions.AuthenticationFailed(message)


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


# Key id -> when this process last recorded its use (time.monotonic()).
_last_recorded: dict[int, float] = {}


def _touch_last_used(api_key: ApiKey, *, ip: str) -> None:
    """Record use (when, and from which address) at most once a minute per key.

    Each process asks the shared cache at most once a minute per key (saving a round trip on
    the other requests), and only the first process to ask in that minute writes the row.
    """
    now = time.monotonic()
    last = _last_recorded.get(api_key.pk)
    if last is not None and now - last < LAST_USED_RESOLUTION_SECONDS:
        return
    _last_recorded[api_key.pk] = now
    if cache.add(f"apikey:used:{api_key.pk}", 1, LAST_USED_RESOLUTION_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(
            last_used_at=timezone.now(), last_used_ip=_valid_ip(ip)
        )


def _valid_ip(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:  # no REMOTE_ADDR ("unknown")
        return None
