"""Give each pytest-xdist worker a Redis database of its own (`make test` runs the suite on two).

Loaded with `-p tests.parallel` before pytest-django imports the settings, so the cache, the
Celery broker and every worker process a test starts read the same per-worker REDIS_URL.
PostgreSQL needs nothing here: pytest-django already names each worker's test database apart
(`test_omniflow_gw0`, `test_omniflow_gw1`).
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … under xdist, else unset
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _base, _, _db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_base}/{int(_db) + 1 + int(_worker[2:])}"
