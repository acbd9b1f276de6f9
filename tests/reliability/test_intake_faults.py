"""Exactly-once intake under faults, bounded for CI: bench/intake_faults.py at small scale.

The script is the same code path as the 5,000-ticket bench: 300 tickets with idempotency keys
from 5 retrying clients through two real daphne processes, while it restarts PostgreSQL, SIGKILLs
and restarts the supervisor (deadlines fall due meanwhile) and restarts Redis (the channel layer).
Restarting the suite's own PostgreSQL would break every other test, so the script makes a
throwaway cluster of its own under /tmp (bin/pg-local with PG_LOCAL_DIR) and clones the test
database's reference data into it (pg_dump/pg_restore, a few seconds; a migrate + fixture load
would take minutes). It runs in a subprocess: its Django talks to that cluster, not to ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.servers import ARTIFACTS, ROOT, database_url

from .fault_world import tickets_with_photos_delegations_drafts_and_flares

REDIS_PUSH_CHECK = "a push after the Redis restart reaches a wall on the other server"


@pytest.mark.django_db  # the session's test database (with fixtures) is what the script clones
def test_every_ticket_is_taken_in_exactly_once_through_database_supervisor_and_redis_restarts(
    django_db_blocker, tmp_path
):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        source = database_url()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "intake_faults.json"
    out.unlink(missing_ok=True)
    # The database cloned holds photos, delegations, drafts and flares, as a site's does (the clone leaves
    # out whatever references tickets: test_fault_clone.py).
    with tickets_with_photos_delegations_drafts_and_flares(django_db_blocker, tmp_path / "media"):
        run = run_bench(source, out)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    failed = [name for name, ok in result["checks"].items() if not ok]
    assert not failed, json.dumps(
        {k: result[k] for k in ("checks", "tickets", "requests", "flags", "probe")}, indent=1
    )[:4000]
    # The push after the Redis restart is required (it was a warning while consumers kept timing out their
    # channel-layer read: core/channel_layer.py, docs/RELIABILITY.md), and so is a quiet wall keeping its socket.
    assert result["checks"][REDIS_PUSH_CHECK] and result["probe"]["wall reconnects while quiet"] == 0
    assert run.returncode == 0  # the script fails on any of its checks
    tickets = result["tickets"]
    assert tickets["in the database for the run's keys"] == tickets["in the database (all)"] == 300
    assert tickets["duplicate keys"] == 0 and tickets["missing keys"] == 0
    assert result["flags"]["tickets whose deadlines fell due while the supervisor was dead"] == 15
    assert result["faults"]["postgis"]["refused_while_down"] and result["faults"]["redis"]["refused_while_down"]


def run_bench(source: str, out) -> subprocess.CompletedProcess:
    # fmt: off
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "intake_faults.py"),
         "--tickets", "300", "--clients", "5", "--servers", "2",
         "--db-down", "2", "--supervisor-down", "5", "--redis-down", "2", "--flags-per-level", "5",
         "--clone-from", source, "--no-record", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # fmt: on
