"""Probes for load balancers and the Docker HEALTHCHECK."""

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse


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
        return None  # embedded default: local-memory cache, file-system broker
    try:
        cache.set("readyz", "1", 5)
        if cache.get("readyz") != "1":
            return "redis did not return what was written"
    except Exception as error:  # noqa: BLE001
        return f"redis unreachable: {error.__class__.__name__}"
    return None


def readyz(request):
    """The database and Redis answer and every migration is applied."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(problem is None for problem in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: problem or "ok" for name, problem in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
