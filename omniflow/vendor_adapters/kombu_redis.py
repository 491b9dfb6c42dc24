"""kombu's Redis transport: a worker that loses Redis while it holds an unacknowledged message.

On a lost broker connection Celery 5.7's consumer first collects the connection, which drops
the transport's reference to its client, and then closes it. Closing the channel restores the
unacknowledged messages (a late-acked task running or reserved), which needs that client's
address: AttributeError, which nothing catches, and the worker dies ("Unrecoverable error")
instead of reconnecting. Redis is unreachable at that moment anyway, so nothing could be
restored: the messages stay in Redis's unacked index, which kombu restores once their
visibility timeout has passed (at-least-once, as before).
"""

import functools
import logging

from kombu.transport import redis as kombu_redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def unacked_restore_survive_lost_connection() -> None:
    """Make the Redis transport's restore of unacknowledged messages never kill the worker."""
    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "survives_lost_connection", False):
        return

    @functools.wraps(original)
    def restore_unacked(self, client=None):
        try:
            return original(self, client)
        except (AttributeError, RedisError, OSError):
            logger.warning(
                "Celery: Redis is gone; %d unacknowledged message(s) stay in its unacked "
                "index and come back after the visibility timeout.",
                len(self._delivered),
                exc_info=True,
            )
            return None

    restore_unacked.survives_lost_connection = True
    kombu_redis.QoS.restore_unacked = restore_unacked
