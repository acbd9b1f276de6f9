"""Open311 POSTs are rate-limited per API key (a site default, overridable per key in admin): past the
limit a 429 with Retry-After and a message saying what to do. The count is shared by every server process:
in PostgreSQL without Redis, in Redis through the Django cache with it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core import ratelimit
from core.models import RateCounter
from open311.models import Open311Key
from tests.maps.test_two_servers_on_redis import redis_url
from tests.open311.test_views import BASE, form
from tests.servers import ROOT, database_url, run_committed

pytestmark = pytest.mark.django_db


def post(client, key, fmt="json", **overrides):
    return client.post(f"{BASE}/requests.{fmt}", form(key, **overrides))


def test_a_key_past_its_own_limit_gets_429_with_retry_after_and_others_are_unaffected(client):
    app = Open311Key.objects.create(name="便民APP", channel="app", rate_limit_per_minute=3)
    other = Open311Key.objects.create(name="政务网站", channel="web", rate_limit_per_minute=3)
    statuses = [post(client, app, description=f"长青社区19号楼暖气管道漏水第{i}次").status_code for i in range(3)]
    assert statuses == [200, 200, 200]
    refused = post(client, app, description="长青社区19号楼暖气管道漏水第4次")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    (err,) = refused.json()
    assert err["code"] == 429
    assert "3 requests per minute" in err["description"] and "retry after" in err["description"]
    xml = post(client, app, fmt="xml")
    assert xml.status_code == 429 and xml["Retry-After"]
    assert ET.fromstring(xml.content).find("error/code").text == "429"
    assert post(client, other).status_code == 200


def test_a_key_without_its_own_limit_has_the_sites_default(client, settings):
    settings.OPEN311_RATE_LIMIT_PER_MINUTE = 2
    key = Open311Key.objects.create(name="便民APP", channel="app")
    assert key.effective_rate_limit == 2
    assert [post(client, key, description=f"长青社区暖气管道漏水第{i}次").status_code for i in range(3)] == [
        200,
        200,
        429,
    ]


def test_a_bad_key_is_still_a_403_not_a_429(client):
    assert post(client, None).status_code == 403


def test_the_window_rolls_over_and_retry_after_says_when():
    bucket = f"test:{uuid.uuid4().hex}"
    start = dt.datetime(2026, 11, 21, 9, 30, 0, tzinfo=dt.UTC)
    verdicts = [ratelimit.hit(bucket, limit=2, now=start + dt.timedelta(seconds=s)) for s in (1, 2, 45)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert verdicts[-1].retry_after == 15
    assert ratelimit.hit(bucket, limit=2, now=start + dt.timedelta(seconds=61)).allowed
    assert RateCounter.objects.filter(bucket=bucket).count() == 1  # the old window is forgotten


def test_a_per_key_limit_must_be_at_least_one():
    from django.core.exceptions import ValidationError

    key = Open311Key(name="x", channel="app", rate_limit_per_minute=0)
    with pytest.raises(ValidationError, match="rate_limit_per_minute"):
        key.full_clean()


HITS = """
import datetime as dt, sys, django
django.setup()
from core.ratelimit import hit
bucket, limit, n, at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
now = dt.datetime.fromtimestamp(at, tz=dt.UTC)
print(sum(hit(bucket, limit=limit, now=now).allowed for _ in range(n)))
"""


@pytest.mark.parametrize("store", ["database", "cache"])
def test_four_processes_hitting_one_key_at_once_let_exactly_the_limit_through(store, django_db_blocker):
    """Separate server processes share one count: 4 processes × 30 requests against a limit of 50."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    bucket = f"test:{uuid.uuid4().hex}"
    at = dt.datetime.now(dt.UTC).replace(microsecond=0).timestamp()  # one window for all, whatever the clock does
    with redis_url() as redis:
        env = {**os.environ, "DATABASE_URL": db_url, "RATE_LIMIT_STORE": store, "DB_POOL": "0"}
        if store == "cache":
            env.update(REDIS_URL=redis, CACHE_PREFIX=f"test-{bucket}")
        else:
            env.pop("REDIS_URL", None)

        def run(_):
            args = [sys.executable, "-c", HITS, bucket, "50", "30", str(at)]
            done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
            return int(done.stdout.strip().splitlines()[-1])

        with ThreadPoolExecutor(4) as pool:
            allowed = list(pool.map(run, range(4)))
    assert sum(allowed) == 50, allowed
    run_committed(lambda: RateCounter.objects.filter(bucket=bucket).delete(), django_db_blocker)
