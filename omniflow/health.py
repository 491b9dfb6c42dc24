"""Probes for load balancers and the Docker HEALTHCHECK, and the worker check Settings shows."""

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone


def healthz(request):
    """The process is up (touches neither database nor Redis)."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return f"database unreachable: {error.__class__.__name__}"
    if unapplied:
        return f"{len(unapplied)} migration(s) not applied"
    return None


def _check_redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # embedded default: local-memory cache, SQLite broker
    try:
        cache.set("readyz", "1", 5)
        if cache.get("readyz") != "1":
            return "redis did not return what was written"
    except Exception as error:  # noqa: BLE001
        return f"redis unreachable: {error.__class__.__name__}"
    return None


def _check_sweeper() -> str | None:
    from webhooks.operations import sweeper_last_run

    last_run = sweeper_last_run()
    if last_run is None:
        return "the sweeper never ran"
    age = (timezone.now() - last_run).total_seconds()
    if age > settings.OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS:
        return f"last sweep {age:.0f} s ago"
    return None


# How long pages trust the last worker check: one heartbeat read per this many seconds and
# cache (all web processes share Redis's), however many pages are viewed.
WORKER_CHECK_CACHE_SECONDS = 5.0
_WORKER_CHECK_CACHE_KEY = "health:worker-problem"


def worker_problem() -> str | None:
    """Return why no worker is sending webhooks now (the sweeper check of `/readyz?worker=1`)."""
    problem = cache.get(_WORKER_CHECK_CACHE_KEY)
    if problem is None:
        try:
            problem = _check_sweeper() or ""
        except Exception as error:  # noqa: BLE001 - a page still renders without the answer
            problem = f"the heartbeat could not be read ({error.__class__.__name__})"
        cache.set(_WORKER_CHECK_CACHE_KEY, problem, WORKER_CHECK_CACHE_SECONDS)
    return problem or None


def worker_status(request) -> dict:
    """Template context: `worker_problem`, computed only when a page shows it (the banner)."""
    return {"worker_problem": worker_problem}


def _check_backlog() -> str | None:
    from webhooks.operations import queue_state

    now = timezone.now()
    waited = queue_state(now=now).oldest_due_age_seconds(now)
    if waited > settings.OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS:
        return f"oldest due delivery waiting {waited:.0f} s"
    return None


def readyz(request):
    """The database and Redis answer and every migration is applied.

    With `?worker=1` (the worker's probe), also: the sweeper ran within
    OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS and no due delivery has waited longer than
    OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS. Kept out of the web's own probe, so that a load
    balancer does not take healthy web processes out because the workers are down.
    """
    checks = {"database": _check_database(), "redis": _check_redis()}
    if request.GET.get("worker") == "1":
        if checks["database"] is None:
            checks["sweeper"] = _check_sweeper()
            checks["backlog"] = _check_backlog()
        else:
            checks["sweeper"] = checks["backlog"] = "database unavailable"
    ready = all(problem is None for problem in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
