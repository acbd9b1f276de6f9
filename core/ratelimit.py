"""Counting requests per client in fixed one-minute windows, shared by every server process.

Two stores, chosen by settings.RATE_LIMIT_STORE:
- "cache" (the default when REDIS_URL is set): Redis through the Django cache,
  `add` then `incr`, which Redis does atomically for all processes.
- "database" (otherwise): one PostgreSQL row per client and window, counted by
  `INSERT … ON CONFLICT DO UPDATE … RETURNING`, atomic under concurrency. The
  in-process default cache (LocMem) is not an option: each process would keep
  its own count and N processes would let N times the limit through.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    count: int
    retry_after: int  # seconds until the window ends (when refused)


def _window(now: dt.datetime, seconds: int) -> tuple[int, dt.datetime]:
    epoch = int(now.timestamp())
    start = epoch - epoch % seconds
    return start, dt.datetime.fromtimestamp(start, tz=dt.UTC)


def _count_in_cache(bucket: str, start: int, seconds: int) -> int:
    key = f"ratelimit:{bucket}:{start}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first hit
        cache.add(key, 1, timeout=seconds + 5)
        return 1


def _count_in_database(bucket: str, start: dt.datetime) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO dispatch_ratecounter (bucket, window_start, count) VALUES (%s, %s, 1) "
            "ON CONFLICT (bucket, window_start) DO UPDATE SET count = dispatch_ratecounter.count + 1 "
            "RETURNING count",
            [bucket, start],
        )
        count = cur.fetchone()[0]
        if count == 1:  # a new window: forget this client's old ones (at most one row stays behind)
            cur.execute("DELETE FROM dispatch_ratecounter WHERE bucket = %s AND window_start < %s", [bucket, start])
    return count


def hit(bucket: str, *, limit: int, seconds: int = 60, now: dt.datetime | None = None) -> Verdict:
    """Count one request of `bucket` in the current window; allowed while the count is within `limit`."""
    now = now or timezone.now()
    epoch_start, start = _window(now, seconds)
    if getattr(settings, "RATE_LIMIT_STORE", "database") == "cache":
        count = _count_in_cache(bucket, epoch_start, seconds)
    else:
        count = _count_in_database(bucket, start)
    retry_after = max(1, math.ceil(epoch_start + seconds - now.timestamp()))
    return Verdict(allowed=count <= limit, limit=limit, count=count, retry_after=retry_after)
