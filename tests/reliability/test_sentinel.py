"""Redis Sentinel for real (issue 17, item 2): `bin/cluster ha` runs a Redis primary, its replica
and three sentinels (Debian's redis-server and redis-sentinel) under two daphne processes, which
find the master through the sentinels for the channel layer (wall pushes between processes) and
for the cache that holds the Open311 rate-limit counters (core.sentinel_cache).

The primary is killed (SIGKILL) in the middle of a stream of tickets taken in on both processes
while a wall socket is open on each. Then:
- the sentinels promote the replica (down-after-milliseconds 1000);
- every ticket attempt ends in 201: an attempt that meets the fail-over is answered 503 +
  Retry-After and retried with the same Idempotency-Key, never a 500, never a second ticket;
- the walls on both processes get pushes again within RECOVERY_BOUND seconds of the kill (a wall
  whose socket the server closed reconnects, as maps/static/maps/live.js does);
- the Open311 limit still holds across both processes, counted on the new master.
The scenario is bench/ha.py's (which runs it at full length, several rounds, and records the
figures); figures print with -s.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest
from django.db import connection

from bench.ha import master_port, open311_limit_holds, start_cluster, stop_cluster, stream
from dispatch.models import OutboundMessage, Ticket
from open311.models import Open311Key
from tests.servers import ROOT, committed_session, database_url, run_committed

pytestmark = pytest.mark.django_db

RECOVERY_BOUND = 15.0  # s from the kill to pushes on both walls again (measured ~3-4 s: bench/RESULTS.md)
OPEN311_LIMIT = 6


@pytest.fixture(scope="module")
def ha_cluster(django_db_setup, django_db_blocker, tmp_path_factory):
    run = f"ha-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    try:
        cluster = start_cluster(run, env, tmp_path_factory.mktemp("ha") / "cluster", supervisors=0)
        cluster["dispatcher"] = committed_session("city_dispatcher", django_db_blocker)
        cluster["wall"] = committed_session("wall_viewer", django_db_blocker)
        yield cluster
    finally:
        stop_cluster(env)
        status = subprocess.run([str(ROOT / "bin" / "cluster"), "status"], env=env, capture_output=True)
        assert status.returncode == 3  # nothing left running

        def purge():
            ids = list(Ticket.objects.filter(description__startswith=run).values_list("id", flat=True))
            OutboundMessage.objects.filter(ticket_id__in=ids).delete()
            Ticket.objects.filter(id__in=ids).delete()
            Open311Key.objects.filter(name__startswith=run).delete()

        run_committed(purge, django_db_blocker)


def key_factory(run: str, django_db_blocker):
    def make(limit: int) -> str:
        holder = {}
        run_committed(
            lambda: holder.update(
                key=Open311Key.objects.create(
                    name=f"{run} {uuid.uuid4().hex[:4]}", channel="app", rate_limit_per_minute=limit
                ).key
            ),
            django_db_blocker,
        )
        return holder["key"]

    return make


def test_killing_the_redis_primary_fails_over_and_the_walls_and_limits_keep_working(ha_cluster, django_db_blocker):
    cluster = ha_cluster
    make_key = key_factory(cluster["run"], django_db_blocker)
    primary, replica = cluster["redis_ports"]
    assert master_port(cluster["sentinel_ports"][0]) == primary
    figures = stream(cluster, walls_per_process=1, every=0.25, kill_after=3.0, open311_key=make_key(100000))
    print("sentinel fail-over:", json.dumps(figures, ensure_ascii=False, default=str))
    assert not figures["failed"], figures["failed"][:3]  # every ticket attempt ended 201, 503s retried
    assert figures["duplicates"] == 0  # a retry with the same Idempotency-Key never made a second ticket
    assert set(figures["open311"]) == {200}, figures["open311"]  # Open311 too (its counter is in Redis)
    assert all(master_port(p) == replica for p in cluster["sentinel_ports"])  # the replica promoted
    assert figures["promoted_s"] is not None and figures["promoted_s"] < RECOVERY_BOUND
    assert figures["pushes_again_max_s"] is not None and figures["pushes_again_max_s"] < RECOVERY_BOUND, figures
    assert figures["pushes_lost_after_recovery"] == 0
    # The Open311 limit holds across both processes, counted on the new master [IN-4].
    bases = [f"http://127.0.0.1:{p}" for p in cluster["ports"]]
    statuses = open311_limit_holds(bases, make_key, OPEN311_LIMIT, cluster["run"])
    assert statuses.count(200) == OPEN311_LIMIT and statuses.count(429) == OPEN311_LIMIT, statuses
