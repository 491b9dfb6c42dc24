"""Probes for load balancers and the Docker HEALTHCHECK.

The core checks the database and Redis itself; the checks of the worker's probe
(`/readyz?worker=1`) belong to the apps whose workers they watch, and each app registers its
own in its AppConfig.ready() (`readiness_check_register`), so this module names no app.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

# Returns what is wrong, in a few words, or None when all is well.
ReadinessCheck = Callable[[], str | None]
_WORKER_CHECKS: dict[str, ReadinessCheck] = {}


def readiness_check_register(name: str, check: ReadinessCheck) -> ReadinessCheck:
    """Add a check to the worker's probe (from an AppConfig.ready()), reported under `name`.

    Checks run in the order registered and may read the database: while it is unreachable
    they are not run and each reports "database unavailable".
    """
    if name in {"database", "redis"} or name in _WORKER_CHECKS:
        raise ValueError(f"a readiness check named {name!r} is registered already")
    _WORKER_CHECKS[name] = check
    return check


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


def readyz(request):
    """The database and Redis answer and every migration is applied.

    With `?worker=1` (the worker's probe), also every registered check: for webhooks, that
    the sweeper ran within OMNIFLOW_WEBHOOK_SWEEP_STALE_SECONDS and no due delivery has waited
    longer than OMNIFLOW_WEBHOOK_DUE_AGE_LIMIT_SECONDS. Kept out of the web's own probe, so that
    a load balancer does not take healthy web processes out because the workers are down.
    """
    checks = {"database": _check_database(), "redis": _check_redis()}
    if request.GET.get("worker") == "1":
        for name, check in _WORKER_CHECKS.items():
            checks[name] = check() if checks["database"] is None else "database unavailable"
    ready = all(problem is None for problem in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
