"""Django's PostgreSQL backend with a health check that costs no round trip when it need not.

With CONN_HEALTH_CHECKS, Django runs `SELECT 1` before the first query of every request on a
persistent connection, so that a connection the server dropped (a restart, a failover, an idle
timeout) is replaced rather than answering 500. On the API's keyed reads that round trip was
one of three per request (bench/api.py's profile: ~90 µs of the client's CPU and the server's
work for `SELECT 1`). A connection between requests has nothing to say: when the server closes
it, it first sends the reason (`FATAL: terminating connection…`) or the kernel marks the socket
at end of file, and either makes the socket readable. So a socket with nothing to read is in use
as it was left, and only a readable one, or one not idle, is checked with Django's `SELECT 1`.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or (
            pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return super().is_usable()
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            return False
        if readable:
            return super().is_usable()
        return True
