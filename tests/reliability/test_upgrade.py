"""An existing installation upgrades (issue 12): a backup made by the code before the renovation
(`make backup` on that code, committed as tests/data/upgrade/pre-renovation.dump: 160 tickets in
every state, an assessment scheme and its rows, a flare, an Open311 key, a rate counter, audit
rows) restores into a scratch database of the test cluster, `manage.py migrate` brings it to
today's schema, and every row is still there, read through the apps the models moved to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
DATA = ROOT / "tests" / "data" / "upgrade"
PG_RESTORE = "/usr/lib/postgresql/15/bin/pg_restore"

# Where each moved model lives now (dispatch before the renovation); the table names stay.
MOVED = {
    "ratecounter": "core",
    "open311key": "open311",
    "assessmentscheme": "assessment",
    "assessmentmonth": "assessment",
    "assessmentrow": "assessment",
    "spikealert": "alerts",
}
NEW_APPS = {"core", "open311", "assessment", "alerts"}
# Django's own bookkeeping grows with the new apps' migrations and models; every other table
# must hold exactly the rows it held.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}


def _url(dbname: str, *, scheme: str = "postgresql") -> str:
    """A URL for a database of the test cluster (tests.servers.database_url, for any database)."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else "")
    host, port = s["HOST"] or "", s["PORT"] or "5432"
    if host.startswith("/"):
        return f"{scheme}://{auth}@/{dbname}?host={quote(host)}&port={port}"
    return f"{scheme}://{auth}@{host}:{port}/{dbname}"


def _row_counts(cur) -> dict[str, int]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1"
    )
    counts = {}
    for (table,) in cur.fetchall():
        cur.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cur.fetchone()[0]
    return counts


def _manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
    }
    env.pop("TEST_DB_NAME", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def scratch_database():
    """A database of its own in the test cluster, with the extensions the dump expects; dropped after."""
    import psycopg

    name = f"upgrade_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(_url(name), autocommit=True) as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        yield name
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_a_backup_of_the_code_before_the_renovation_upgrades_with_every_row(scratch_database):
    import psycopg

    expected = json.loads((DATA / "pre-renovation-counts.json").read_text())
    restored = subprocess.run(
        [PG_RESTORE, "--no-owner", "--exit-on-error", "-d", _url(scratch_database), DATA / "pre-renovation.dump"],
        capture_output=True,
        text=True,
    )
    assert restored.returncode == 0, restored.stderr
    with psycopg.connect(_url(scratch_database)) as db, db.cursor() as cur:
        assert _row_counts(cur) == expected  # the fixture and its counts agree before anything runs
        cur.execute(
            "SELECT model, id FROM django_content_type WHERE app_label = 'dispatch' AND model = ANY(%s)", [list(MOVED)]
        )
        content_types = dict(cur.fetchall())
        cur.execute(
            "SELECT content_type_id, codename, id FROM auth_permission WHERE content_type_id = ANY(%s)",
            [list(content_types.values())],
        )
        permissions = {(ct, codename): pk for ct, codename, pk in cur.fetchall()}
    assert set(content_types) == set(MOVED) and len(permissions) == 4 * len(MOVED)

    migrated = _manage(_url(scratch_database, scheme="postgis"), "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    with psycopg.connect(_url(scratch_database)) as db, db.cursor() as cur:
        got = _row_counts(cur)
        # Every table of the old installation keeps its name and its rows.
        assert {t: got.get(t) for t in expected if t not in BOOKKEEPING} == {
            t: n for t, n in expected.items() if t not in BOOKKEEPING
        }
        assert all(got[t] >= expected[t] for t in BOOKKEEPING)
        cur.execute("SELECT DISTINCT app FROM django_migrations WHERE app = ANY(%s)", [list(NEW_APPS)])
        assert {r[0] for r in cur.fetchall()} == NEW_APPS
        # The moved models' content types are relabelled in place (same ids), so their
        # permissions (and the admin history pointing at them) survive.
        cur.execute("SELECT model, id, app_label FROM django_content_type WHERE model = ANY(%s)", [list(MOVED)])
        after = {model: (pk, app) for model, pk, app in cur.fetchall()}
        assert after == {model: (content_types[model], app) for model, app in MOVED.items()}
        cur.execute(
            "SELECT content_type_id, codename, id FROM auth_permission WHERE content_type_id = ANY(%s)",
            [list(content_types.values())],
        )
        assert {(ct, codename): pk for ct, codename, pk in cur.fetchall()} == permissions

    # The moved models read their old rows through their new apps' ORM.
    script = (
        "from open311.models import Open311Key; from alerts.models import SpikeAlert; "
        "from assessment.models import AssessmentScheme, AssessmentMonth, AssessmentRow; "
        "from core.models import RateCounter; from dispatch.models import Ticket; import json; "
        "print(json.dumps({m.__name__: m.objects.count() for m in "
        "(Open311Key, SpikeAlert, AssessmentScheme, AssessmentMonth, AssessmentRow, RateCounter, Ticket)}))"
    )
    shell = _manage(_url(scratch_database, scheme="postgis"), "shell", "-c", script)
    assert shell.returncode == 0, shell.stderr
    counts = json.loads(shell.stdout.strip().splitlines()[-1])
    assert counts == {
        "Open311Key": expected["dispatch_open311key"],
        "SpikeAlert": expected["dispatch_spikealert"],
        "AssessmentScheme": expected["dispatch_assessmentscheme"],
        "AssessmentMonth": expected["dispatch_assessmentmonth"],
        "AssessmentRow": expected["dispatch_assessmentrow"],
        "RateCounter": expected["dispatch_ratecounter"],
        "Ticket": expected["dispatch_ticket"],
    }
    assert counts["Ticket"] == 160 and counts["SpikeAlert"] == counts["Open311Key"] == 1
