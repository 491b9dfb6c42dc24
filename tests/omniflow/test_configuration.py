import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'cache': s.CACHES['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL, "
    "'debug': s.DEBUG}))"
)


def _settings_in_subprocess(env: dict[str, str]) -> dict:
    output = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _bare_env(**extra: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env["DJANGO_SETTINGS_MODULE"] = "omniflow.settings"
    env.update(extra)
    return env


def test_embedded_default_needs_no_servers():
    loaded = _settings_in_subprocess(_bare_env())

    assert loaded == {
        "engine": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        # A transactional broker on a SQLite file of its own (kombu's SQLAlchemy transport).
        "broker": f"sqla+sqlite:///{ROOT / 'var' / 'broker.sqlite3'}",
        "debug": True,
    }


def test_embedded_default_migrates_on_sqlite(tmp_path):
    env = _bare_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "db.sqlite3").exists()


def test_postgres_and_redis_configuration_loads():
    loaded = _settings_in_subprocess(
        _bare_env(
            DATABASE_URL="postgres://postgres@127.0.0.1:5432/omniflow",
            REDIS_URL="redis://127.0.0.1:6379/1",
        )
    )

    assert loaded["engine"] == "omniflow.db.postgresql"  # Django's, its health check cheaper
    assert loaded["cache"] == "omniflow.cache.RedisCache"
    assert loaded["broker"] == "redis://127.0.0.1:6379/1"


def test_suite_itself_runs_on_postgres_and_redis(db):
    assert connection.vendor == "postgresql"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


SQLITE_PROBE = (
    "import json, django; django.setup(); from django.db import connection; "
    "cursor = connection.cursor(); "
    "print(json.dumps({'journal_mode': cursor.execute('PRAGMA journal_mode').fetchone()[0], "
    "'synchronous': cursor.execute('PRAGMA synchronous').fetchone()[0], "
    "'busy_timeout': cursor.execute('PRAGMA busy_timeout').fetchone()[0], "
    "'transaction_mode': connection.transaction_mode}))"
)


def test_embedded_sqlite_writers_wait_for_each_other_instead_of_failing(tmp_path):
    env = _bare_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    output = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert output.returncode == 0, output.stderr
    # WAL: readers never wait for the writer; NORMAL (1) is WAL's safe mode. IMMEDIATE: a
    # transaction takes the write lock when it begins, so it waits (20 s) instead of failing.
    assert json.loads(output.stdout.strip().splitlines()[-1]) == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 20000,
        "transaction_mode": "IMMEDIATE",
    }
