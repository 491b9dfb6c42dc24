"""Prometheus metrics at `/metrics`, correct across every web and worker process.

Counters (deliveries sent, attempt latency, API requests, inbound receipts) are counted where
they happen, in whichever gunicorn or Celery process that is, and added to one Redis hash:
each process sums what it counted locally and a thread of its own writes the sums with one
pipelined round trip once a second (and when a task or the process ends), so no request or
delivery waits for a round trip of its own. Any web process answering a scrape reads the
whole hash, so every scrape sees the totals of all processes, on every machine sharing the
Redis, at most a second late.

Gauges (queue depth, oldest due delivery, last sweep) are read from the database at scrape
time, so they are true whatever process asks: each app registers the collector of its own in
its AppConfig.ready() (`collector_register`), so this module names no app.

Without Redis (the embedded default of `make run`) counters stay in each process: /metrics
then shows the web process's own counts only.
"""

import atexit
import bisect
import hmac
import os
import threading
import time
from collections import Counter

import redis
from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

REDIS_HASH = "omniflow:metrics"
FLUSH_SECONDS = 1.0
# Upper bounds (seconds) of the attempt latency histogram's buckets.
ATTEMPT_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

DELIVERIES_SENT = "omniflow_webhook_deliveries_sent"
ATTEMPT_DURATION = "omniflow_webhook_attempt_duration_seconds"
API_REQUESTS = "omniflow_api_requests"
API_RATE_LIMITED = "omniflow_api_rate_limited"
INBOUND_RECEIPTS = "omniflow_inbound_receipts"

_lock = threading.Lock()
# Field of the Redis hash -> amount counted here and not yet written to Redis.
_pending: Counter[str] = Counter()
# What this process counted in all, for the embedded default (no Redis to share).
_local_totals: Counter[str] = Counter()
_client: redis.Redis | None = None
# The process whose flushing thread runs: a forked child (gunicorn or Celery worker) starts its own.
_flusher_pid: int | None = None


def _field(name: str, labels: tuple[tuple[str, str], ...] = ()) -> str:
    return name + "|" + ",".join(f"{key}={value}" for key, value in labels)


def _parse_field(field: str) -> tuple[str, dict[str, str]]:
    name, _, labels = field.partition("|")
    return name, dict(pair.split("=", 1) for pair in labels.split(",") if pair)


def count(name: str, amount: float = 1, **labels: str) -> None:
    """Add `amount` to the counter `name` with these labels (written to Redis later)."""
    field = _field(name, tuple(sorted(labels.items())))
    with _lock:
        _pending[field] += amount
    _ensure_flusher()


def count_many(amounts: Counter[str]) -> None:
    """Add pre-built fields (see `attempt_fields`) in one go: one lock for a whole batch."""
    with _lock:
        _pending.update(amounts)
    _ensure_flusher()


def _ensure_flusher() -> None:
    global _flusher_pid
    if _flusher_pid == os.getpid():
        return
    with _lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
    threading.Thread(target=_flush_every_second, name="metrics-flush", daemon=True).start()


def _flush_every_second() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        flush()


def attempt_fields(outcomes: list[tuple[str, float]]) -> Counter[str]:
    """Return the counter fields of a batch of attempts: (outcome, duration in seconds) each."""
    fields: Counter[str] = Counter()
    for outcome, seconds in outcomes:
        fields[_field(DELIVERIES_SENT, (("outcome", outcome),))] += 1
        # Non-cumulative here (one bucket per attempt); the exposition makes them cumulative.
        index = bisect.bisect_left(ATTEMPT_BUCKETS, seconds)
        bound = str(ATTEMPT_BUCKETS[index]) if index < len(ATTEMPT_BUCKETS) else "+Inf"
        fields[_field(ATTEMPT_DURATION, (("le", bound),))] += 1
        fields[_field(ATTEMPT_DURATION + "_sum")] += seconds
    return fields


def _redis() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        # Its pool notices a fork and opens new connections in the child.
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _client


def flush() -> None:
    """Write what this process counted to Redis (never raises: metrics must not break work)."""
    with _lock:
        pending = dict(_pending)
        _pending.clear()
    if not pending:
        return
    client = _redis()
    if client is None:
        with _lock:
            _local_totals.update(pending)
        return
    try:
        pipe = client.pipeline(transaction=False)
        for field, amount in pending.items():
            if isinstance(amount, float):
                pipe.hincrbyfloat(REDIS_HASH, field, amount)
            else:
                pipe.hincrby(REDIS_HASH, field, amount)
        pipe.execute()
    except redis.RedisError:
        # Counted again next time rather than lost while Redis is briefly away.
        with _lock:
            _pending.update(pending)


atexit.register(flush)


def _totals() -> dict[str, float]:
    flush()
    client = _redis()
    if client is None:
        with _lock:
            return dict(_local_totals)
    return {field.decode(): float(value) for field, value in client.hgetall(REDIS_HASH).items()}


class CountersCollector:
    """Builds the counters' families afresh at each scrape (nothing is kept in this process)."""

    def collect(self):
        totals: dict[str, dict[tuple, float]] = {}
        for field, value in _totals().items():
            name, labels = _parse_field(field)
            totals.setdefault(name, {})[tuple(sorted(labels.items()))] = value

        yield _counter(
            DELIVERIES_SENT,
            "Webhook delivery attempts made, by the delivery's state after it.",
            ["outcome"],
            totals.get(DELIVERIES_SENT, {}),
        )
        yield _histogram(totals.get(ATTEMPT_DURATION, {}), totals.get(ATTEMPT_DURATION + "_sum"))
        yield _counter(
            API_REQUESTS,
            "Requests to the REST API (/api/), by response status.",
            ["status"],
            totals.get(API_REQUESTS, {}),
        )
        yield _counter(
            API_RATE_LIMITED,
            "API requests refused with 429 by a rate limit.",
            [],
            totals.get(API_RATE_LIMITED, {}),
        )
        yield _counter(
            INBOUND_RECEIPTS,
            "POSTs to inbound webhook triggers that left a receipt, by receipt status and HTTP "
            "status.",
            ["status", "http_status"],
            totals.get(INBOUND_RECEIPTS, {}),
        )


def _counter(name: str, documentation: str, label_names: list[str], values: dict):
    family = CounterMetricFamily(name, documentation, labels=label_names)
    for labels, value in sorted(values.items()):
        label_values = dict(labels)
        family.add_metric([label_values.get(key, "") for key in label_names], value)
    return family


def _histogram(bucket_counts: dict, total_seconds: dict | None):
    per_bound = {dict(labels)["le"]: value for labels, value in bucket_counts.items()}
    buckets, cumulative = [], 0.0
    for bound in [*map(str, ATTEMPT_BUCKETS), "+Inf"]:
        cumulative += per_bound.get(bound, 0.0)
        buckets.append((bound, cumulative))
    family = HistogramMetricFamily(
        ATTEMPT_DURATION, "Duration of webhook delivery attempts (HTTP requests)."
    )
    family.add_metric([], buckets, sum_value=(total_seconds or {}).get((), 0.0))
    return family


_registry = CollectorRegistry(auto_describe=False)
_registry.register(CountersCollector())


def collector_register(collector: Collector) -> Collector:
    """Add a collector to `/metrics` (from an AppConfig.ready()); shown after those before it.

    `collector.collect()` runs at every scrape, in the web process answering it, and yields
    prometheus_client metric families: the way an app shows gauges read at scrape time.
    """
    _registry.register(collector)
    return collector


def metrics_view(request):
    """Serve the metrics to a scraper that presents OMNIFLOW_METRICS_TOKEN as a bearer token."""
    token = settings.OMNIFLOW_METRICS_TOKEN
    if not token:
        raise Http404("Metrics are off: set OMNIFLOW_METRICS_TOKEN.")
    presented = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(presented.encode(), token.encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Count API responses by status, and 429s on their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith("/api/"):
            count(API_REQUESTS, status=str(response.status_code))
            if response.status_code == 429:
                count(API_RATE_LIMITED)
        return response
