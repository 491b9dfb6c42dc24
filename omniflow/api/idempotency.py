"""`Idempotency-Key` on every POST under /api/v1/, for every app, as middleware.

A client retrying a POST with the same key and the same body within 24 hours gets the first
response again (with `Idempotent-Replayed: true`) and nothing is created twice; the same key
with another body is a 409 `idempotency_key_reused`, and a retry while the first request is
still running is a 409 `idempotency_key_in_use`.

Records live in the shared cache (Redis in production), not in a table: `cache.add` is an
atomic "set if absent" that makes the in-flight lock race-free across processes, expiry is
the cache's TTL rather than a cleanup job, and the records are disposable by nature. Keys are
scoped to the API key by hashing the Authorization header, so one client's keys never collide
with another's. The trade-off: the record is written after the response, not in the action's
transaction, so a process that dies between the commit and the write leaves only the lock,
which expires after IN_FLIGHT_SECONDS; a retry after that runs the action again.
"""

import base64
import hashlib

from django.core.cache import cache
from django.http import HttpResponse

from .errors import problem_response

API_PREFIX = "/api/v1/"
HEADER = "HTTP_IDEMPOTENCY_KEY"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION_SECONDS = 24 * 3600
# Longer than any request may run; only reached when a process died mid-request.
IN_FLIGHT_SECONDS = 120
MAX_KEY_LENGTH = 255
# Headers of the first response worth replaying; the rest are per-request.
REPLAYED_HEADERS = ("Content-Type", "Location", "Retry-After")
_IN_FLIGHT = "in_flight"
_DONE = "done"


def _cache_key(request, key: str) -> str:
    owner = hashlib.sha256(request.META.get("HTTP_AUTHORIZATION", "").encode()).hexdigest()
    return f"idempotency:{owner}:{hashlib.sha256(key.encode()).hexdigest()}"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _conflict(type_: str, detail: str):
    return problem_response(status_code=409, type_=type_, title="Conflict.", detail=detail)


def _is_storable(response) -> bool:
    # Server errors and rate limits are transient: the retry must run for real. 401 and 403
    # never reached the endpoint, and a fixed key or scope must not be answered from memory.
    status = response.status_code
    return status < 500 and status not in (401, 403, 429) and not response.streaming


def _replay(record: dict):
    response = HttpResponse(base64.b64decode(record["body"]), status=record["status"])
    for name, value in record["headers"].items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    """Replay the first response to a POST retried with the same `Idempotency-Key`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in key):
            return problem_response(
                status_code=400,
                type_="invalid_idempotency_key",
                title="Invalid Idempotency-Key.",
                detail=f"Use 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID.",
            )
        if not request.META.get("HTTP_AUTHORIZATION"):
            # Unauthenticated: the view answers 401 and there is no one to scope the key to.
            return self.get_response(request)
        cache_key = _cache_key(request, key)
        fingerprint = _fingerprint(request)
        if not cache.add(
            cache_key, {"state": _IN_FLIGHT, "fingerprint": fingerprint}, IN_FLIGHT_SECONDS
        ):
            return self._answer_from(cache.get(cache_key), fingerprint) or self.get_response(
                request
            )
        stored = False
        try:
            response = self.get_response(request)
            if _is_storable(response):
                cache.set(cache_key, self._record(response, fingerprint), RETENTION_SECONDS)
                stored = True
            return response
        finally:
            if not stored:
                cache.delete(cache_key)

    @staticmethod
    def _record(response, fingerprint: str) -> dict:
        return {
            "state": _DONE,
            "fingerprint": fingerprint,
            "status": response.status_code,
            "headers": {name: response[name] for name in REPLAYED_HEADERS if name in response},
            "body": base64.b64encode(response.content).decode(),
        }

    @staticmethod
    def _answer_from(record: dict | None, fingerprint: str):
        """Answer a request whose key is already known; None if the record just vanished."""
        if record is None:
            return None
        if record["fingerprint"] != fingerprint:
            return _conflict(
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request; use a new key.",
            )
        if record["state"] == _IN_FLIGHT:
            return _conflict(
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still in progress; retry later.",
            )
        return _replay(record)
