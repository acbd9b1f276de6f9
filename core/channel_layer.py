"""The Redis channel layer, made to survive idle sockets and Redis restarts (docs/RELIABILITY.md).

channels-redis (4.3) receives every process-local channel of a process through one blocking pop
(BZPOPMIN on "<prefix>specific.<client>!", up to `brpop_timeout` = 5 s), taken by whichever socket's
consumer holds the layer's receive lock; the others wait for their message in the layer's buffer.
Two faults followed from that, and this subclass fixes both:

1. **An idle socket died every 5 seconds.** redis-py 8 gives every connection a 5 s socket read
   timeout by default (`redis._defaults.DEFAULT_SOCKET_TIMEOUT`); before, it had none. A pop that
   blocks 5 s on a connection that gives up reading after 5 s loses the race: when no message came
   for 5 s, redis-py raised `TimeoutError: Timeout reading from …` out of `receive()`, the consumer
   holding the lock crashed, daphne closed its WebSocket, and the wall reconnected — over and over
   while nothing happened (in the fault run: after the load, when the probe push was made). A push
   made while a wall was between two of those sockets, or popped by Redis just as the client gave
   up, never reached the screen. Fix: the pop blocks at most half the connection's read timeout,
   so Redis answers "nothing yet" well before the client stops listening. Should a read still time
   out (Redis or this event loop stalled), the pop is retried once on a fresh connection (redis-py
   dropped the timed-out one) before the error counts as a lost connection.

2. **After a quick Redis restart, sockets survived deaf.** Only the consumer whose pop was cut
   saw the error; the other sockets of the process kept waiting. Redis came back empty (the layer's
   groups live in Redis memory), so their group memberships were gone and no push reached them
   again, without any sign on the screen. Fix: when the shared pop loses its connection, every
   socket of the process that joined a group gets the error too — at once if it is waiting in
   receive(), else on its next receive() — so each consumer closes its socket the way the one that
   saw the error does; each wall then reconnects, joins its groups again and re-fetches its state
   (maps/static/maps/live.js): the pushes lost in the outage are not lost facts. This costs nothing
   on a message's way (10,000 deliveries to 200 sockets: 1.28 s with channels-redis' layer, 1.32 s
   with this one, same process and Redis).
"""

from __future__ import annotations

import logging

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "this connection to Redis is gone", as opposed to a refused command.
CONNECTION_LOST = (RedisConnectionError, RedisTimeoutError, OSError)


class ChannelLayerConnectionLost(RedisConnectionError):
    """Raised in every socket's receive() of a process when the layer's shared pop lost Redis."""


class RedisChannelLayer(_RedisChannelLayer):
    # The shortest pop worth making (seconds): a tiny socket timeout must not turn into a busy loop.
    min_block = 0.1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._timeouts_in_a_row = 0
        self._read_timeouts: dict[int, float | None] = {}  # by host index
        # Process-local channels that joined a group and have not left it: the sockets to tell on a loss.
        self._joined: dict[str, set[str]] = {}
        # Channels told of a loss while no receive() of theirs was waiting: their next receive() raises.
        self._told: set[str] = set()

    # -- 1. a blocking pop shorter than the read timeout --------------------------------------------

    def block_seconds(self, index: int, timeout: float) -> float:
        """How long a pop on host `index` may block: at most half its connections' read timeout."""
        if index not in self._read_timeouts:
            self._read_timeouts[index] = read_timeout_of(self.connection(index).connection_pool)
        read_timeout = self._read_timeouts[index]
        if read_timeout is None:  # no read timeout: the pop may block as long as channels-redis asks
            return timeout
        return max(self.min_block, min(timeout, float(read_timeout) / 2))

    async def _brpop_with_clean(self, index, channel, timeout):
        try:
            member = await super()._brpop_with_clean(index, channel, self.block_seconds(index, timeout))
        except RedisTimeoutError:
            self._timeouts_in_a_row += 1
            if self._timeouts_in_a_row >= 2:
                raise
            logger.warning("channel layer: a read from Redis timed out; popping again on a fresh connection")
            return None  # receive_single pops again; the timed-out connection was dropped by redis-py
        self._timeouts_in_a_row = 0
        return member

    # -- 2. a lost connection reaches every socket of the process ------------------------------------
    # No cost on the way of a message: a socket waiting in receive() is woken by a marker put in its
    # buffer (channels-redis hands it over like a message), one not waiting is named in `_told`.

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        if "!" in channel:
            self._joined.setdefault(channel, set()).add(group)

    async def group_discard(self, group, channel):
        groups = self._joined.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self._joined[channel]
        await super().group_discard(group, channel)

    async def receive_single(self, channel):
        try:
            return await super().receive_single(channel)
        except CONNECTION_LOST as exc:
            if "!" in channel:  # the process's shared pop: every socket of the process is affected
                self._tell_every_socket(exc)
            raise

    def _tell_every_socket(self, exc: BaseException) -> None:
        marker = {_LOST: f"{type(exc).__name__}: {exc}"}
        told = set()
        for channel in set(self._joined) | set(self.receive_buffer):
            if channel in self.receive_buffer:  # waiting in receive(), or messages not yet taken
                self.receive_buffer[channel].put_nowait(marker)
            else:
                told.add(channel)
        self._told = told  # replaced, not grown: a socket that died meanwhile is not kept past one loss
        self._joined = {}  # each socket joins its groups again, on a new channel, when its wall reconnects

    async def receive(self, channel):
        if channel in self._told:
            self._told.discard(channel)
            raise ChannelLayerConnectionLost("the channel layer lost its Redis connection meanwhile")
        message = await super().receive(channel)
        if _LOST in message:
            raise ChannelLayerConnectionLost(f"the channel layer lost its Redis connection: {message[_LOST]}")
        return message


_LOST = "__grid_channel_layer_lost__"


def read_timeout_of(pool) -> float | None:
    """The socket read timeout of a pool's connections, as they are made (a connection object
    costs no I/O until it connects): configured, or redis-py's default (5 s in 8.x, none before)."""
    return pool.make_connection().socket_timeout
