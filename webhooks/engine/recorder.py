"""Recording beside claiming: outcomes are written on a thread of their own.

Profiled under load (`bench/deliveries.py`), the dispatcher's thread spent a third of its
time waiting on the outcome writes and another third on claims, one after the other, while
the sender's loop sat idle. On a database that takes concurrent writers (PostgreSQL), each
worker process therefore records on a second thread with its own connection: the dispatcher
hands finished requests over and goes on claiming; the recorder writes whatever has piled up
since its last write as one batch (batches grow with the load by themselves).

Nothing about the guarantees changes: an outcome is written only while the lease is still
ours (as before), a resource's next delivery is claimable only once its predecessor's outcome
is committed (the claim's own rule, whichever connection wrote it), and a process killed with
outcomes not yet written leaves them leased, so they are sent again when the lease ends.

Inside a transaction of the caller's (the suite's tests run the engine so) a second
connection would wait on the rows the caller's claims locked, so there, and on SQLite (one
writer at a time), the dispatcher records on its own thread, in batches, as before.
"""

import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection

from . import storage

# A recorder idle this long closes its database connection (the next write opens one).
IDLE_CLOSE_SECONDS = 1.0
# A batch: (claim, request, result) triples, as the pipeline collects them.
Batch = list[tuple[Any, Any, Any]]


class Recorder:
    """A thread that runs `write` on batches handed over, in order, one write at a time."""

    def __init__(self, write: Callable[[Batch], None]) -> None:
        self.pid = os.getpid()
        self.write = write
        self.batches: queue.SimpleQueue[Batch] = queue.SimpleQueue()
        self.idle = threading.Condition()
        self.unwritten = 0  # batches handed over and not written yet
        self.writes = 0  # writes done (successful or not): the dispatcher watches it move
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="webhooks-recorder", daemon=True)
        self.thread.start()

    def hand_over(self, batch: Batch) -> None:
        """Queue `batch` to be written; raise the error a previous write met, if any."""
        self.raise_error()
        with self.idle:
            self.unwritten += 1
        self.batches.put(batch)

    def busy(self) -> bool:
        return self.unwritten > 0

    def wait(self, timeout: float | None = None) -> None:
        """Wait until every batch handed over is written; raise a write's error, if any."""
        with self.idle:
            self.idle.wait_for(lambda: self.unwritten == 0, timeout=timeout)
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run(self) -> None:
        while True:
            try:
                batch = self.batches.get(timeout=IDLE_CLOSE_SECONDS)
            except queue.Empty:
                # Idle: no connection held open for nothing (each worker process has one).
                connection.close()
                continue
            taken = 1
            # What piled up while the last write ran goes in this one (extended in place: under
            # load hundreds of small batches pile up, and concatenating copied them each time).
            batch = list(batch)
            while True:
                try:
                    batch.extend(self.batches.get_nowait())
                    taken += 1
                except queue.Empty:
                    break
            try:
                close_old_connections()  # a connection broken by an earlier error is replaced
                self.write(batch)
            except BaseException as exc:  # handed to the dispatcher: the task fails as before
                self.error = exc
                close_old_connections()
            with self.idle:
                self.unwritten -= taken
                self.writes += 1
                self.idle.notify_all()


_recorders: dict[Callable, Recorder] = {}
_lock = threading.Lock()


def beside(write: Callable[[Batch], None]) -> Recorder | None:
    """Return this process's recorder thread for `write`, or None where the caller must write
    on its own thread (inside its transaction, or on a database of one writer)."""
    if connection.in_atomic_block or not storage.backend().concurrent_writers:
        return None
    with _lock:
        recorder = _recorders.get(write)
        if recorder is None or recorder.pid != os.getpid():
            # A forked child must not count on its parent's thread (it was not forked along).
            recorder = _recorders[write] = Recorder(write)
        return recorder
