"""The engine's reads and writes, one module per database, chosen once per connection vendor.

As Django's `db/backends/`: `base.py` says what every backend does, `postgresql.py` and
`sqlite.py` do it for their database, and `backend()` returns the one for the database the
default connection talks to, built once per process. No other module asks which database it is.
"""

from functools import cache
from importlib import import_module

from django.db import connection

from .base import Storage

# Each vendor's module, by Django's `connection.vendor`.
BACKENDS = {"postgresql": "postgresql", "sqlite": "sqlite"}


@cache
def _backend_for(vendor: str) -> Storage:
    return import_module(f"{__name__}.{BACKENDS[vendor]}").DatabaseStorage()


def backend() -> Storage:
    """Return the storage of the database the default connection talks to."""
    return _backend_for(connection.vendor)
