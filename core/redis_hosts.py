"""The channel layer's Redis hosts from the environment (settings import this, so no Django here).

- REDIS_URL="redis://h:6379/0": one Redis.
- REDIS_URL="redis://a:6379/0,redis://b:6379/0": several independent Redis servers; channels-redis
  shards channels and groups over them by consistent hashing (more walls, more messages).
- REDIS_SENTINELS="s1:26379,s2:26379,s3:26379" with REDIS_SENTINEL_MASTERS="grid-a[,grid-b]": each
  master (shard) found and failed over by Redis Sentinel (docs/DEPLOYMENT.md).
"""

from __future__ import annotations


def channel_layer_hosts(redis_url: str = "", sentinels: str = "", masters: str = "") -> list:
    """The `hosts` of channels_redis.core.RedisChannelLayer; empty when no Redis is configured."""
    if sentinels.strip():
        pairs = []
        for item in sentinels.split(","):
            host, _, port = item.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"REDIS_SENTINELS: {item.strip()!r} is not host:port")
            pairs.append((host, int(port)))
        names = [m.strip() for m in masters.split(",") if m.strip()]
        if not names:
            raise ValueError("REDIS_SENTINELS is set but REDIS_SENTINEL_MASTERS names no master")
        return [{"sentinels": pairs, "master_name": name} for name in names]
    return [u.strip() for u in redis_url.split(",") if u.strip()]
