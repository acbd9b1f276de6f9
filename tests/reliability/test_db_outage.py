"""A lost database connection is a pause, not an error of the request: servers answer 503
with Retry-After (never 500, never a 400 after the work committed), a server's connection
pool replaces connections a PostgreSQL restart cut, and the supervisor keeps running.
These are the bugs bench/intake_faults.py found; the faults here are real (locks that time
out, backends terminated with pg_terminate_backend), never mocks."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import psycopg
import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from grid.models import User
from tests.servers import committed_session, database_url, free_port, process, run_committed

pytestmark = pytest.mark.django_db


def libpq_url() -> str:
    return database_url().replace("postgis://", "postgresql://", 1)


def set_lock_timeout(ms: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"SET LOCAL lock_timeout = '{int(ms)}ms'")  # ends with the test's transaction


def test_a_query_that_cannot_reach_its_table_is_answered_503_with_retry_after(client):
    user = User.objects.get(username="city_dispatcher")
    user.set_password("outage-test")
    user.save()
    client.raise_request_exception = False
    auth = "Basic " + base64.b64encode(b"city_dispatcher:outage-test").decode()
    with psycopg.connect(libpq_url()) as other:  # holds the lock until the block ends
        other.execute("LOCK TABLE dispatch_ticket IN ACCESS EXCLUSIVE MODE")
        set_lock_timeout(300)
        r = client.get("/api/tickets/?page_size=1", HTTP_AUTHORIZATION=auth)
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert r.json()["code"] == "database_unavailable"
    assert "retry" in r.json()["detail"] or "重试" in r.json()["detail"]


def test_a_session_that_cannot_be_saved_does_not_turn_the_answer_into_a_400(client, django_db_blocker):
    """Django would answer 400 SessionInterrupted ("logged out meanwhile") although the view's work
    had committed; the client would then never retry. The view's answer must stand."""
    key = committed_session("city_dispatcher", django_db_blocker)
    try:
        client.cookies["sessionid"] = key
        client.raise_request_exception = False
        with psycopg.connect(libpq_url()) as other:
            other.execute("SELECT 1 FROM django_session WHERE session_key = %s FOR UPDATE", [key])
            set_lock_timeout(300)
            r = client.get("/api/tickets/?page_size=1")
        assert r.status_code == 200, r.content[:300]
        assert "results" in r.json()
    finally:
        run_committed(lambda: SessionStore(key).delete(), django_db_blocker)


def _server_backends(cur) -> list[int]:
    """The connections of the server processes: all but this test's own and those that were open before the
    test started (the test process's other connections, which must survive the cut)."""
    cur.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND pid <> ALL(%s) AND backend_type = 'client backend'",
        [[_test_pid, *_before]],
    )
    return [r[0] for r in cur.fetchall()]


_test_pid = 0
_before: list[int] = []


@pytest.fixture(autouse=True)
def _remember_the_tests_connection():
    global _test_pid, _before
    connection.ensure_connection()
    _test_pid = connection.connection.info.backend_pid
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        _before = [r[0] for r in cur.fetchall()]


def test_a_server_survives_its_pooled_connections_being_cut(django_db_blocker):
    """What a PostgreSQL restart does to a daphne process: every pooled connection dies while idle.
    The pool checks each connection as it hands it out, so the next requests all succeed."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    port = free_port()
    env = {"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings", "DB_POOL_MIN": "4", "DEBUG": "0"}
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    base = f"http://127.0.0.1:{port}"
    with process(daphne, port, "daphne-pool", env):
        s = requests.Session()
        s.cookies["sessionid"] = committed_session("city_dispatcher", django_db_blocker)
        assert s.get(f"{base}/api/tickets/?page_size=1", timeout=10).status_code == 200
        with psycopg.connect(libpq_url(), autocommit=True) as admin, admin.cursor() as cur:
            deadline = time.time() + 10
            while len(_server_backends(cur)) < 4 and time.time() < deadline:  # the pool fills to min_size
                time.sleep(0.1)
            pids = _server_backends(cur)
            assert len(pids) >= 4
            cur.execute("SELECT count(*) FROM (SELECT pg_terminate_backend(p) FROM unnest(%s::int[]) p) x", [pids])
            deadline = time.time() + 5
            while set(_server_backends(cur)) & set(pids) and time.time() < deadline:
                time.sleep(0.05)
            statuses = [s.get(f"{base}/api/tickets/?page_size=1", timeout=15).status_code for _ in range(8)]
            new_pids = set(_server_backends(cur))
        assert statuses == [200] * 8
        assert new_pids and not new_pids & set(pids)  # it reconnected rather than reusing the dead ones


def test_the_supervisor_keeps_running_when_its_connection_is_cut(django_db_blocker, tmp_path):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    out = tmp_path / "supervisor.log"
    env = {"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"}
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "supervise", "--interval", "0.3"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def passes() -> int:
            return out.read_text().count("supervision: reminders")

        deadline = time.time() + 30
        while passes() < 1 and time.time() < deadline:
            time.sleep(0.1)
        assert passes() >= 1, out.read_text()[-2000:]
        with psycopg.connect(libpq_url(), autocommit=True) as admin, admin.cursor() as cur:
            for _ in range(3):  # cut it a few times, whatever it is doing
                for pid in _server_backends(cur):
                    cur.execute("SELECT pg_terminate_backend(%s)", [pid])
                time.sleep(0.4)
        before = passes()
        deadline = time.time() + 20
        while passes() < before + 2 and time.time() < deadline:
            time.sleep(0.1)
        assert proc.poll() is None, out.read_text()[-2000:]
        assert passes() >= before + 2, out.read_text()[-2000:]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0  # SIGTERM: it finishes its pass and exits cleanly
