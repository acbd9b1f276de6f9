"""`make backup` / `make restore`: a dump restored into a fresh database holds
every row of every table the application writes."""

import subprocess
import uuid

import pytest
from django.conf import settings
from django.db import connection

ROOT = settings.BASE_DIR


def _url(dbname: str) -> str:
    s = connection.settings_dict
    host, port = s["HOST"] or "", s["PORT"] or "5432"
    if host.startswith("/"):
        return f"postgresql://{s['USER']}@/{dbname}?host={host}&port={port}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgresql://{s['USER']}{password}@{host}:{port}/{dbname}"


def _row_counts(cur) -> dict[str, int]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1"
    )
    tables = [r[0] for r in cur.fetchall()]
    counts = {}
    for t in tables:
        cur.execute(f'SELECT count(*) FROM "{t}"')
        counts[t] = cur.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=False)
def test_a_backup_restores_into_a_fresh_database_with_every_row(tmp_path, django_db_blocker):
    import psycopg

    dump = tmp_path / "backup.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run(
        [ROOT / "bin" / "db-backup", "dump", dump],
        check=True,
        capture_output=True,
        env={"DATABASE_URL": _url(source), "PATH": "/usr/bin:/bin"},
    )
    fresh = f"restore_check_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    try:
        result = subprocess.run(
            [ROOT / "bin" / "db-backup", "restore", dump, _url(fresh)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stderr
        with connection.cursor() as cur:
            expected = _row_counts(cur)
        with psycopg.connect(_url(fresh)) as restored, restored.cursor() as cur:
            got = _row_counts(cur)
        assert got == expected
        assert expected["grid_area"] > 2000 and expected["grid_office"] > 2000
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.dump"
    bogus.write_text("not a dump")
    result = subprocess.run(
        [ROOT / "bin" / "db-backup", "restore", bogus, "postgresql:///nowhere"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "not a pg_dump archive" in result.stderr
