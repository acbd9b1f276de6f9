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
   socket of the process waiting on this layer gets the error too, so each consumer closes its
   socket the way the one that saw the error does; each wall then reconnects, joins its groups
   again and re-fetches its state (maps/static/maps/live.js) — the pushes lost in the outage are
   not lost facts.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

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
        # Per event loop: a future resolved (with the error) when the shared pop loses its connection.
        self._lost: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future] = weakref.WeakKeyDictionary()

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

    def _lost_signal(self) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        signal = self._lost.get(loop)
        if signal is None or signal.done():
            signal = self._lost[loop] = loop.create_future()
        return signal

    async def receive_single(self, channel):
        try:
            return await super().receive_single(channel)
        except CONNECTION_LOST as exc:
            if "!" in channel:  # the process's shared pop: every socket waiting on it is affected
                signal = self._lost.get(asyncio.get_running_loop())
                if signal is not None and not signal.done():
                    signal.set_result(exc)
            raise

    async def receive(self, channel):
        if "!" not in channel:  # a plain channel has a pop of its own
            return await super().receive(channel)
        lost = self._lost_signal()
        receiving = asyncio.ensure_future(super().receive(channel))
        receiving.add_done_callback(_retrieve)
        try:
            await asyncio.wait({receiving, lost}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # the consumer is going away: channels-redis cleans up on cancel
            receiving.cancel()
            raise
        if receiving.done():
            return receiving.result()
        receiving.cancel()  # this socket's wall must reconnect: its groups may be gone with Redis
        cause = lost.result()
        raise ChannelLayerConnectionLost(f"the channel layer lost its Redis connection: {cause}") from cause


def read_timeout_of(pool) -> float | None:
    """The socket read timeout of a pool's connections, as they are made (a connection object
    costs no I/O until it connects): configured, or redis-py's default (5 s in 8.x, none before)."""
    return pool.make_connection().socket_timeout


def _retrieve(task: asyncio.Future) -> None:
    """Mark a receive task's outcome as seen (its error reached the caller, or the caller had gone)."""
    if not task.cancelled():
        task.exception()
