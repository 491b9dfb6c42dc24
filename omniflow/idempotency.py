"""Idempotency keys, one core for the API and the inbound receiver.

A client retrying a POST with the same key within 24 hours gets the first response again
(with `Idempotent-Replayed: true`) and nothing is done twice; the same key with another request
is a 409 `idempotency_key_reused`, and a retry while the first is still running is a 409
`idempotency_key_in_use`.

Callers claim a key only once the request is authenticated and allowed (an API key and its
scope, a trigger's signed URL and body signature), under an owner that says who may replay it
(the API key's id, the trigger's id): a revoked key or a wrong signature is refused before any
record is read, and one owner's keys never answer another's requests.

Records live in the shared cache (Redis in production), not in a table: `cache.add` is an
atomic "set if absent" that makes the in-flight lock race-free across processes, expiry is
the cache's TTL rather than a cleanup job, and the records are disposable by nature. A stored
body may reveal a secret (an endpoint's signing secret), so bodies are kept encrypted with the
secrets key (`omniflow.crypto.seal`), never in clear. The trade-off: the record is written
after the response, not in the action's transaction, so a process that dies between the commit
and the write leaves only the lock, which expires after IN_FLIGHT_SECONDS; a retry after that
runs the action again.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpResponse

from .api.errors import problem_response
from .crypto import SecretUnavailable, seal, unseal

# Where Django puts the request's Idempotency-Key header (API and inbound receiver alike).
HEADER = "HTTP_IDEMPOTENCY_KEY"
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION_SECONDS = 24 * 3600
# Longer than any request may run; only reached when a process died mid-request.
IN_FLIGHT_SECONDS = 120
MAX_KEY_LENGTH = 255
# Headers of the first response worth replaying; the rest are per-request.
REPLAYED_HEADERS = ("Content-Type", "Location", "Retry-After", "Cache-Control")
_IN_FLIGHT = "in_flight"
_DONE = "done"


@dataclass(frozen=True)
class Claim:
    """A key this request holds until it stores its response or releases the key."""

    cache_key: str
    fingerprint: str


def idempotency_cache_key(*, owner: str, key: str) -> str:
    """Return where the record of `owner`'s key `key` is kept."""
    return f"idempotency:{owner}:{hashlib.sha256(key.encode()).hexdigest()}"


def idempotency_claim(
    *, owner: str, key: str, fingerprint: str, same_request_required: bool = True
) -> Claim | HttpResponse:
    """Claim `key` for this request, or return the answer to give instead (replay or 409).

    `same_request_required=False` replays whatever the fingerprint: an inbound sender's own
    event id names the event, so a resend whose body differs is still the same event.
    """
    cache_key = idempotency_cache_key(owner=owner, key=key[:MAX_KEY_LENGTH])
    claim = Claim(cache_key=cache_key, fingerprint=fingerprint)
    in_flight = {"state": _IN_FLIGHT, "fingerprint": fingerprint}
    for _ in range(2):  # twice: once more if the record vanished or could not be read
        if cache.add(cache_key, in_flight, IN_FLIGHT_SECONDS):
            return claim
        record = cache.get(cache_key)
        if record is None:
            continue
        if same_request_required and record["fingerprint"] != fingerprint:
            return _conflict(
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request; use a new key.",
            )
        if record["state"] == _IN_FLIGHT:
            return _conflict(
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still in progress; retry later.",
            )
        try:
            return _replay(record)
        except SecretUnavailable:
            # Sealed under a secrets key since rotated: as good as expired.
            cache.delete(cache_key)
    return _conflict(
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still in progress; retry later.",
    )


def is_storable(response: HttpResponse | None) -> bool:
    """Tell whether a response is final, so a retry is answered with it."""
    # Server errors and rate limits are transient: the retry must run for real. 401 and 403
    # never reached the action, and a fixed key or scope must not be answered from memory.
    if response is None or response.streaming:
        return False
    return response.status_code < 500 and response.status_code not in (401, 403, 429)


def idempotency_finish(*, claim: Claim, response: HttpResponse | None) -> None:
    """Store the response to answer retries with, or release the key if it is not final."""
    if not is_storable(response):
        cache.delete(claim.cache_key)
        return
    record = {
        "state": _DONE,
        "fingerprint": claim.fingerprint,
        "status": response.status_code,
        "headers": {name: response[name] for name in REPLAYED_HEADERS if name in response},
        "body": seal(data=response.content),
    }
    cache.set(claim.cache_key, record, RETENTION_SECONDS)


def _conflict(type_: str, detail: str) -> HttpResponse:
    return problem_response(status_code=409, type_=type_, title="Conflict.", detail=detail)


def _replay(record: dict) -> HttpResponse:
    response = HttpResponse(unseal(token=record["body"]), status=record["status"])
    for name, value in record["headers"].items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response
