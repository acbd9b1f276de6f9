"""A read replica for real (issue 17, item 3): a second PostgreSQL cluster, a hot standby of the
test database's cluster by streaming replication (bin/pg-replica: pg_basebackup -R), and two
daphne processes whose map, briefing, assessment-page and export reads go to it (core.dbrouter).

- Reads are served by the replica while the primary writes: proven by pausing the replica's
  replay (pg_wal_replay_pause()) under a process with a wide staleness bound: a ticket committed
  on the primary is then missing from the map's feed read from the replica, while the wall's
  live refetch (X-Read-Primary) and the writer's own next page (read-your-writes) show it.
- Replay lag beyond the bound (REPLICA_MAX_LAG_SECONDS, 2 s on the second process) → the primary.
- The replica stopped → every page keeps answering 200 from the primary; started again → back on it.
- Never inside a workflow transaction, never for writes (the router itself, in-process).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import time
import uuid

import psycopg
import pytest
import requests
from django.db import connection, transaction
from django.utils import timezone

from core.dbrouter import PRIMARY, REPLICA, ReplicaRouter, use_replica
from dispatch.models import Ticket
from tests.servers import (
    PG_REPLICA,
    PHONE_TICKET,
    REPLAY_LAG_SQL,
    ROOT,
    committed_session,
    database_url,
    free_port,
    process,
    run_committed,
)

pytestmark = pytest.mark.django_db


def month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def pages() -> list[str]:
    """The routed reads: the wall's and maps' data, a briefing, an assessment page and exports."""
    today = timezone.localdate()
    return [
        "/api/maps/summary",
        "/api/maps/clusters?bbox=112.9,33.4,113.7,34.1&zoom=11",
        "/api/maps/hotspots",
        "/api/maps/areas?level=county",
        "/maps/wall/",
        "/briefings/",
        f"/briefings/{month()}/",
        f"/assessment/{month()}/",
        f"/assessment/{month()}/?format=xlsx",
        f"/maps/report/410402002/?from={today - dt.timedelta(days=6)}&to={today}&download=0",
    ]


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """A hot standby of the cluster that holds the test database, and two servers reading from it:
    "wide" (staleness bound 300 s: replay can be paused without losing it) and "tight" (2 s)."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        s = connection.settings_dict
        primary_url, db_name, host, port = database_url(), s["NAME"], s["HOST"], s["PORT"] or "5432"
    run = uuid.uuid4().hex[:8]

    def forget_crashed_runs():  # a run killed before its clean-up left its slot (holding WAL) and copy
        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                "WHERE slot_name LIKE 'test\\_replica\\_%%' AND NOT active"
            )
        for old in (ROOT / ".local").glob("test-replica-*"):
            if not (old / "pgdata" / "postmaster.pid").exists():
                shutil.rmtree(old, ignore_errors=True)

    run_committed(forget_crashed_runs, django_db_blocker)
    directory = ROOT / ".local" / f"test-replica-{run}"  # the postgres user must reach it (not /tmp/pytest-of-root)
    env = {
        **os.environ,
        "REPLICA_DIR": str(directory),
        "PGPORT_REPLICA": str(free_port()),
        "REPLICA_SLOT": f"test_replica_{run}",
        "PG_PRIMARY_HOST": host,
        "PG_PRIMARY_PORT": str(port),
    }
    started = subprocess.run([PG_REPLICA, "start"], env=env, capture_output=True, text=True, timeout=180)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        replica_url = subprocess.run(
            [PG_REPLICA, "url", db_name], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        libpq = replica_url.replace("postgis://", "postgresql://", 1)
        sessions = {u: committed_session(u, django_db_blocker) for u in ("city_dispatcher", "wall_viewer")}
        wait_for(lambda: replica_has_session(libpq, sessions["city_dispatcher"]), 30, "the replica replays")
        servers = {}
        with contextlib.ExitStack() as stack:
            for name, bound in (("wide", "300"), ("tight", "2")):
                port_ = free_port()
                server_env = {
                    "DATABASE_URL": primary_url,
                    "REPLICA_DATABASE_URL": replica_url,
                    "REPLICA_MAX_LAG_SECONDS": bound,
                    "REPLICA_CHECK_SECONDS": "0.5",
                    "DJANGO_SETTINGS_MODULE": "config.settings",
                    "DEBUG": "0",
                    "REDIS_URL": "",
                    "REDIS_SENTINELS": "",
                    "MAPS_LIVE_TICK_SECONDS": "0",
                }
                args = [str(ROOT / ".venv/bin/python"), "-m", "daphne", "-b", "127.0.0.1", "-p", str(port_)]
                stack.enter_context(
                    process([*args, "config.asgi:application"], port_, f"replica-{name}", env=server_env)
                )
                servers[name] = f"http://127.0.0.1:{port_}"
            yield {"env": env, "libpq": libpq, "servers": servers, "sessions": sessions, "run": run}
    finally:
        subprocess.run([PG_REPLICA, "drop"], env=env, capture_output=True, text=True, timeout=60)
        shutil.rmtree(directory, ignore_errors=True)

        def purge():
            Ticket.objects.filter(description__startswith=f"replica-{run}").delete()

        run_committed(purge, django_db_blocker)


def wait_for(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


def replica_has_session(libpq: str, key: str) -> bool:
    try:
        with psycopg.connect(libpq, connect_timeout=2) as c:
            return c.execute("SELECT 1 FROM django_session WHERE session_key = %s", [key]).fetchone() is not None
    except psycopg.OperationalError:
        return False


def on_replica(libpq: str, sql: str):
    with psycopg.connect(libpq, autocommit=True) as c:
        return c.execute(sql).fetchone()


def reader(replica, user: str = "city_dispatcher") -> requests.Session:
    s = requests.Session()
    s.cookies.set("sessionid", replica["sessions"][user])
    return s


def post_ticket(replica, session: requests.Session, base: str, text: str) -> dict:
    csrf = uuid.uuid4().hex
    session.cookies.set("csrftoken", csrf)
    r = session.post(
        f"{base}/api/tickets/",
        json={**PHONE_TICKET, "description": f"replica-{replica['run']} {text} 长青社区楼下下水道堵了"},
        headers={"X-CSRFToken": csrf, "Idempotency-Key": uuid.uuid4().hex},
        timeout=20,
    )
    assert r.status_code == 201, r.text[:500]
    return r.json()


def feed(session: requests.Session, base: str, **headers) -> tuple[str, list[str]]:
    r = session.get(f"{base}/api/maps/summary", headers=headers, timeout=20)
    assert r.status_code == 200, r.text[:300]
    return r.headers["X-Read-From"], [item["number"] for item in r.json()["latest"]]


def lag(libpq: str) -> float:
    return float(on_replica(libpq, REPLAY_LAG_SQL)[0])


def test_the_pages_are_served_by_the_replica_while_the_primary_writes(replica):
    base = replica["servers"]["wide"]
    writer, wall = reader(replica), reader(replica)
    assert on_replica(replica["libpq"], "SELECT pg_is_in_recovery()")[0] is True
    # A month never assessed is computed and stored on the primary by its first page (a write:
    # that request stays on the primary); from then on the page reads the stored month.
    assert reader(replica).get(f"{base}/assessment/{month()}/", timeout=120).status_code == 200
    wait_for(lambda: lag(replica["libpq"]) == 0, 20, "replay catches up")
    # Every routed page answers from the replica while tickets are being written to the primary.
    for i, path in enumerate(pages()):
        post_ticket(replica, writer, base, f"写入{i}")
        r = wall.get(base + path, timeout=60)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        assert r.headers["X-Read-From"] == "replica", path
    # Proof that "replica" is the replica: with its replay paused, a committed ticket is not there...
    on_replica(replica["libpq"], "SELECT pg_wal_replay_pause()")
    try:
        wait_for(
            lambda: on_replica(replica["libpq"], "SELECT pg_get_wal_replay_pause_state()")[0] == "paused", 10, "pause"
        )
        ticket = post_ticket(replica, writer, base, "暂停期间")
        source, numbers = feed(wall, base)
        assert source == "replica" and ticket["number"] not in numbers
        # ...while the wall's refetch after a push reads the primary and shows it,
        source, numbers = feed(wall, base, **{"X-Read-Primary": "1"})
        assert source == "primary" and ticket["number"] in numbers
        # and so does the writer's own next page (read-your-writes: the cookie its POST got).
        source, numbers = feed(writer, base)
        assert source == "primary" and ticket["number"] in numbers
    finally:
        on_replica(replica["libpq"], "SELECT pg_wal_replay_resume()")
    wait_for(lambda: lag(replica["libpq"]) == 0, 20, "replay catches up")
    wait_for(lambda: ticket["number"] in feed(wall, base)[1], 10, "the replica shows the ticket")
    assert feed(wall, base)[0] == "replica"
    # Writes never go to the replica: the intake above answered 201 through the same process.


def test_replay_lag_beyond_the_bound_sends_reads_to_the_primary(replica):
    base = replica["servers"]["tight"]  # bound 2 s
    writer, wall = reader(replica), reader(replica)
    assert feed(wall, base)[0] == "replica"
    on_replica(replica["libpq"], "SELECT pg_wal_replay_pause()")
    try:
        ticket = post_ticket(replica, writer, base, "滞后")
        wait_for(lambda: lag(replica["libpq"]) > 2.5, 20, "the lag grows past the bound")
        time.sleep(0.6)  # the process re-checks the lag every 0.5 s
        source, numbers = feed(wall, base)
        assert source == "primary" and ticket["number"] in numbers
        for path in pages()[:4]:
            r = wall.get(base + path, timeout=60)
            assert r.status_code == 200 and r.headers["X-Read-From"] == "primary", path
    finally:
        on_replica(replica["libpq"], "SELECT pg_wal_replay_resume()")
    started = time.monotonic()
    wait_for(lambda: feed(wall, base)[0] == "replica", 15, "back on the replica once it caught up")
    print(f"replica: back in use {time.monotonic() - started:.2f} s after replay resumed")


def test_a_stopped_replica_leaves_every_page_answering_from_the_primary(replica):
    base = replica["servers"]["wide"]
    wall = reader(replica)
    assert feed(wall, base)[0] == "replica"
    stopped = subprocess.run([PG_REPLICA, "stop"], env=replica["env"], capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    try:
        # At once (the process still believes the replica fresh: the page is redone on the primary)
        # and afterwards (it knows): 200 from the primary, never a 500 or a 503.
        for _ in range(2):
            for path in pages():
                r = wall.get(base + path, timeout=60)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                assert r.headers["X-Read-From"] == "primary", path
    finally:
        again = subprocess.run([PG_REPLICA, "start"], env=replica["env"], capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stdout + again.stderr
    wait_for(lambda: feed(wall, base)[0] == "replica", 15, "back on the replica once it is up")


def test_the_router_keeps_transactions_and_writes_on_the_primary(django_db_blocker):
    """In a thread of its own (autocommit, outside the test's transaction), as a request would be."""
    router, seen = ReplicaRouter(), []

    def routed():
        seen.append(router.db_for_read(Ticket))  # no scope: the primary
        with use_replica() as scope:
            scope.target = REPLICA  # as if the replica had been found fresh
            seen.append(router.db_for_read(Ticket))
            with transaction.atomic():  # a workflow step reads what it writes, under its locks
                seen.append(router.db_for_read(Ticket))
            seen.append(router.db_for_read(Ticket))
            seen.append(router.db_for_write(Ticket))
            seen.append(router.db_for_read(Ticket))  # this request wrote: it reads its own writes

    run_committed(routed, django_db_blocker)
    assert seen == [PRIMARY, REPLICA, PRIMARY, REPLICA, PRIMARY, PRIMARY]
    assert router.allow_migrate(REPLICA, "dispatch") is False
