"""Wake the engine: queue a dispatch, at most one waiting at a time, by task name.

Called after commit by `events.emit` and by a dispatch that finds more due than it sends
alone. The task is queued by name (`webhooks.dispatch`), so nothing here imports `tasks`.
"""

import logging

from django.core.cache import cache

from omniflow.queueing import enqueue

logger = logging.getLogger(__name__)

NUDGE_FLAG = "webhooks:dispatch-requested"
# Short, so a wake-up lost with the broker (a purge, a Redis restart) delays nothing for long.
NUDGE_FLAG_TTL_SECONDS = 5


def request_dispatch() -> None:
    """Queue a dispatch unless one is already queued and not yet started.

    Runs in `on_commit` hooks of domain transactions: it must never raise, as the action has
    committed and its events are safe in the outbox; the sweeper delivers them if this fails.
    """
    try:
        if cache.add(NUDGE_FLAG, 1, NUDGE_FLAG_TTL_SECONDS):
            enqueue("webhooks.dispatch", retry=False)
    except Exception:
        nudge_flag_clear()
        logger.warning("Webhooks: could not queue a dispatch; the sweeper will.", exc_info=True)


def nudge_flag_clear() -> None:
    """Clear the flag, so the next commit queues a dispatch again; never raises."""
    try:
        cache.delete(NUDGE_FLAG)
    except Exception:
        logger.debug("Webhooks: could not clear the dispatch flag.", exc_info=True)
