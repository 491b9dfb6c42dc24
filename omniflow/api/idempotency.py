"""`Idempotency-Key` on every POST of the API, as a step after authentication and scope.

`IdempotentAPIView.initial` claims the key once DRF has authenticated the request, checked its
scope and counted it (so a revoked key gets 401 and a key without the scope 403, never a stored
response), under the API key's id: one client's keys never answer another's. The claim rides on
the Django request to `IdempotencyMiddleware`, which stores the rendered response (encrypted, see
`omniflow.idempotency`) or releases the key, whatever happened in between.
"""

import hashlib

from django.http import HttpResponse
from rest_framework import exceptions
from rest_framework.views import APIView

from omniflow.idempotency import (
    HEADER,
    MAX_KEY_LENGTH,
    Claim,
    idempotency_cache_key,
    idempotency_claim,
    idempotency_finish,
)

from .errors import problem_response

CLAIM_ATTRIBUTE = "omniflow_idempotency_claim"


def api_key_owner(api_key) -> str:
    """Return the owner of an API key's idempotency records."""
    return f"apikey:{api_key.pk}"


def api_cache_key(*, api_key, key: str) -> str:
    """Return where the record of an API key's Idempotency-Key is kept."""
    return idempotency_cache_key(owner=api_key_owner(api_key), key=key)


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


class _Answered(exceptions.APIException):
    """Carries a replay or a 409 out of `initial`, past the view's handler."""

    def __init__(self, response: HttpResponse):
        super().__init__()
        self.response = response


class IdempotentAPIView(APIView):
    """An API view whose POSTs honour `Idempotency-Key` (every API view derives from it)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = request.META.get(HEADER)
        if request.method != "POST" or key is None or request.auth is None:
            return  # no key to scope it to: a view that needs none answers as it always does
        if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
            raise _Answered(
                problem_response(
                    status_code=400,
                    type_="invalid_idempotency_key",
                    title="Invalid Idempotency-Key.",
                    detail=f"Use 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID.",
                )
            )
        django_request = request._request
        claimed = idempotency_claim(
            owner=api_key_owner(request.auth), key=key, fingerprint=_fingerprint(django_request)
        )
        if not isinstance(claimed, Claim):
            raise _Answered(claimed)
        setattr(django_request, CLAIM_ATTRIBUTE, claimed)

    def handle_exception(self, exc):
        if isinstance(exc, _Answered):
            return exc.response
        return super().handle_exception(exc)


class IdempotencyMiddleware:
    """Store the response of a request that claimed an Idempotency-Key, or release the key."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = None
        try:
            response = self.get_response(request)
            return response
        finally:
            claim = getattr(request, CLAIM_ATTRIBUTE, None)
            if claim is not None:
                idempotency_finish(claim=claim, response=response)
