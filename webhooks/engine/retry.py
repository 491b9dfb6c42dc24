"""Retry: what one attempt's result means for its delivery, and when the next try is.

Pure functions of the result and the clock: no database, no network.
"""

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.conf import settings

from ..models import WebhookDelivery
from . import transport
from .claims import Claim

MAX_BACKOFF_SECONDS = 3600
JITTER = 0.2
Status = WebhookDelivery.Status


def backoff_seconds(*, attempt_count: int) -> float:
    """Return the wait before the next try after `attempt_count` failed attempts."""
    base = float(settings.OMNIFLOW_WEBHOOK_RETRY_BASE_SECONDS)
    delay = min(base * 2 ** max(attempt_count - 1, 0), MAX_BACKOFF_SECONDS)
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


def retry_after_seconds(*, value: str | None, now: datetime) -> float | None:
    """Parse a Retry-After header (seconds or HTTP date); None when absent or malformed."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)


# Answers saying the endpoint is overloaded, with the error each attempt records.
OVERLOADED = {429: "429 Too Many Requests.", 503: "503 from the endpoint."}


def is_congestion(result: transport.Result) -> bool:
    """Tell whether a result says the endpoint cannot take more now (no answer, 429, 503)."""
    return result.unanswered or result.status_code in OVERLOADED


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def attempt_settle(*, delivery: Claim, result: transport.Result, now: datetime) -> str:
    """Move `delivery` to its next state after one attempt; return the attempt's error."""
    delivery.attempt_count += 1
    delivery.first_attempted_at = delivery.first_attempted_at or now
    delivery.locked_until = None
    delivery.last_status_code = result.status_code
    code = result.status_code
    retry_in: float | None = None
    error = result.error
    if code is not None and 200 <= code < 300:
        delivery.status = Status.SUCCEEDED
        delivery.succeeded_at = now
        error = ""
    elif result.unsafe_destination:
        delivery.status = Status.FAILED
    elif code is not None and 300 <= code < 400:
        location = _header(result.headers, "Location") or "(none)"
        error = f"Redirect {code} to {location} not followed."
        delivery.status = Status.FAILED
    elif code in OVERLOADED:
        error = OVERLOADED[code]
        # Both codes may say when to come back; without it, the usual backoff.
        retry_in = retry_after_seconds(value=_header(result.headers, "Retry-After"), now=now)
        if retry_in is None:
            retry_in = backoff_seconds(attempt_count=delivery.attempt_count)
    elif code is not None and 400 <= code < 500:
        error = f"{code} from the endpoint; client errors are not retried."
        delivery.status = Status.FAILED
    else:
        if code is not None:
            error = f"{code} from the endpoint."
        retry_in = backoff_seconds(attempt_count=delivery.attempt_count)
    if retry_in is not None:
        error = _schedule_retry(delivery, retry_in=retry_in, error=error, now=now)
    if delivery.status == Status.FAILED:
        delivery.failed_at = now
    delivery.last_error = error
    return error


def _schedule_retry(delivery: Claim, *, retry_in: float, error: str, now: datetime) -> str:
    deadline = delivery.first_attempted_at + timedelta(
        seconds=settings.OMNIFLOW_WEBHOOK_RETRY_WINDOW_SECONDS
    )
    if now >= deadline:
        delivery.status = Status.FAILED
        return f"{error} Retry window ended; giving up.".strip()
    delivery.status = Status.RETRYING
    # A last try at the end of the window rather than none at all.
    delivery.next_attempt_at = min(now + timedelta(seconds=retry_in), deadline)
    return error


def delivery_give_up(*, delivery: Claim, error: str, now: datetime) -> None:
    """Fail a delivery that cannot be sent at all (endpoint disabled, secret unreadable)."""
    delivery.status = Status.FAILED
    delivery.failed_at = now
    delivery.locked_until = None
    delivery.last_error = error
