"""Django's Redis cache through Redis Sentinel: the shared rate-limit counters (core.ratelimit)
and every other cached value live on whichever Redis the sentinels currently name as the master.

settings: BACKEND "core.sentinel_cache.SentinelRedisCache", LOCATION "host:port,host:port,..." (the
sentinels), OPTIONS {"master_name": "grid"}. Reads go to the master too: a rate-limit count read
from a replica could be behind and let more than the limit through.

During a fail-over (the master killed, the sentinels promoting its replica: ~1-3 s with
down-after-milliseconds 1000), each command is retried a few times, each retry asking the
sentinels for the master again; when the new master is still not there, the error propagates and
the request is answered 503 + Retry-After (core.errors), never counted twice by the server.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# How long one command may ride through a fail-over before the request is answered 503.
RETRY_ATTEMPTS = 6
RETRY_BACKOFF_SECONDS = 0.25


def parse_sentinels(servers: list[str]) -> list[tuple[str, int]]:
    pairs = []
    for item in servers:
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"sentinel cache LOCATION: {item.strip()!r} is not host:port")
        pairs.append((host, int(port)))
    return pairs


class SentinelRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, master_name: str = "", **options):
        if not master_name:
            raise ValueError("SentinelRedisCache needs OPTIONS['master_name']")
        self._master_name = master_name
        self._sentinels = parse_sentinels(servers)
        self._pool = None
        self._lock = threading.Lock()
        super().__init__(servers, **options)

    def _get_connection_pool(self, write):
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from redis.backoff import ConstantBackoff
                    from redis.exceptions import ConnectionError, TimeoutError
                    from redis.retry import Retry
                    from redis.sentinel import Sentinel, SentinelConnectionPool

                    timeouts = {"socket_timeout": 1.0, "socket_connect_timeout": 0.5}
                    sentinel = Sentinel(self._sentinels, sentinel_kwargs=timeouts)
                    self._pool = SentinelConnectionPool(
                        self._master_name,
                        sentinel,
                        **self._pool_options,
                        **timeouts,
                        retry=Retry(ConstantBackoff(RETRY_BACKOFF_SECONDS), RETRY_ATTEMPTS),
                        retry_on_error=[ConnectionError, TimeoutError],
                    )
        return self._pool


class SentinelRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SentinelRedisCacheClient
