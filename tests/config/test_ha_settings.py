"""Settings for Sentinel and the read replica (issue 17): what a process configured with them runs."""

import json
import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR

PROBE = """
import json, django
from django.conf import settings
django.setup()
from django.core.cache import cache
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "master": settings.CACHES["default"].get("OPTIONS", {}).get("master_name"),
    "rate_limit_store": settings.RATE_LIMIT_STORE,
    "channel_hosts": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "databases": sorted(settings.DATABASES),
    "replica_host": settings.DATABASES.get("replica", {}).get("HOST"),
    "replica_pool": "pool" in settings.DATABASES.get("replica", {}).get("OPTIONS", {}),
    "routers": settings.DATABASE_ROUTERS,
    "middleware": settings.MIDDLEWARE,
    "cache_client": type(cache._cache).__name__ if settings.CACHES["default"].get("OPTIONS") else "",
}))
"""


def probe(**env_extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "REDIS_SENTINELS", "REPLICA_DATABASE_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env_extra})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sentinels_carry_the_channel_layer_and_the_cache_of_the_rate_limit_counters():
    got = probe(REDIS_SENTINELS="127.0.0.1:26395,127.0.0.1:26396", REDIS_SENTINEL_MASTERS="grid")
    assert got["cache"] == "core.sentinel_cache.SentinelRedisCache"
    assert got["cache_location"] == "127.0.0.1:26395,127.0.0.1:26396" and got["master"] == "grid"
    assert got["cache_client"] == "SentinelRedisCacheClient"
    assert got["rate_limit_store"] == "cache"  # shared by every process, not per process
    assert got["channel_hosts"] == [{"sentinels": [["127.0.0.1", 26395], ["127.0.0.1", 26396]], "master_name": "grid"}]


def test_without_a_replica_nothing_is_routed():
    got = probe()
    assert got["databases"] == ["default"] and got["routers"] == []
    assert "core.dbrouter.ReplicaReadsMiddleware" not in got["middleware"]


def test_a_replica_url_adds_the_alias_the_router_and_the_middleware_after_the_user_is_known():
    got = probe(REPLICA_DATABASE_URL="postgis://grid@/grid12345?host=/srv/replica/run&port=54339")
    assert got["databases"] == ["default", "replica"] and got["replica_host"] == "/srv/replica/run"
    assert got["replica_pool"]
    assert got["routers"] == ["core.dbrouter.ReplicaRouter"]
    mw = got["middleware"]
    assert mw.index("core.dbrouter.ReplicaReadsMiddleware") > mw.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
