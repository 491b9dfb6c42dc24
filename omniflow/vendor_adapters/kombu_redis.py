"""kombu's Redis transport: a worker that loses Redis while it holds an unacknowledged message.

On a lost broker connection Celery 5.7's consumer first collects the connection, which drops
the transport's reference to its client, and then closes it. Two things then reach for a
Redis client through the old channel: the close restores the unacknowledged messages (a
late-acked task running or reserved), and a task that finishes after the reconnection acks
its message on the old channel. Both build the client's address from the dropped reference:
AttributeError, which nothing catches, and the worker dies ("Unrecoverable error") instead of
reconnecting. Raised as the connection error it is, both are handled as kombu and Celery
handle a broker that is gone (the close goes on; the ack is logged as failed). The messages
stay in Redis's unacked index, which kombu restores once their visibility timeout has passed:
at-least-once, as before.
"""

import functools

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


def closed_channel_raise_connection_error() -> None:
    """Make a closed Redis channel raise a connection error when it needs a client."""
    original = kombu_redis.Channel._connparams
    if getattr(original, "raises_connection_error", False):
        return

    @functools.wraps(original)
    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("The broker connection of this channel is closed.")
        return original(self, asynchronous=asynchronous)

    _connparams.raises_connection_error = True
    kombu_redis.Channel._connparams = _connparams
