"""Monthly partitions of the tickets' events and the audit log (migration 0001): keep the next
months' partitions ready (the supervisor's `partitions` job), list them, and detach and archive
old months (manage.py archive_history).

An archived month is detached from its parent (its cloned triggers and indexes go with the
detach), its rows written out as gzipped CSV (COPY) and dropped. Only the database owner can do
that — the application role may insert and select only (docs/SECURITY.md) — and the append-only
trigger still refuses every UPDATE and DELETE on the partitions that stay.
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

TABLES = ("dispatch_ticketevent", "audit_auditentry")
AHEAD = 2  # months


def ensure_partitions(*, ahead: int = AHEAD) -> int:
    """Partitions from last month to `ahead` months ahead on every partitioned table, and for
    any rows waiting in a default partition; how many were made."""
    made = 0
    with transaction.atomic(), connection.cursor() as cur:
        for table in TABLES:
            cur.execute("SELECT history_ensure_partitions(%s, %s, %s)", [table, ahead, settings.TIME_ZONE])
            made += cur.fetchone()[0]
    return made


@dataclass
class Partition:
    table: str
    name: str
    month: dt.date | None  # None for the default partition
    rows: int


def partitions(table: str) -> list[Partition]:
    """The partitions of a table, oldest first (the default last), with their row estimates."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.relname, c.reltuples::bigint FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = %s::regclass ORDER BY c.relname""",
            [table],
        )
        rows = cur.fetchall()
    out = []
    for name, estimate in rows:
        m = re.fullmatch(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})", name)
        out.append(Partition(table, name, dt.date(int(m[1]), int(m[2]), 1) if m else None, max(estimate, 0)))
    return sorted(out, key=lambda p: (p.month is None, p.month or dt.date.max))


def archive_before(month: dt.date, directory: Path, *, keep: bool = False) -> list[tuple[str, Path, int]]:
    """Detach every monthly partition older than `month`, write its rows to
    directory/<name>.csv.gz (COPY … TO STDOUT, CSV with a header: restore with
    `CREATE TABLE x (LIKE <parent>)` and `COPY x FROM … CSV HEADER`) and drop it (unless keep:
    it then stays as a plain table, detached). One transaction per partition: a failure leaves
    that month attached. Returns (partition, file, rows)."""
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for table in TABLES:
        for p in partitions(table):
            if p.month is None or p.month >= month:
                continue
            target = directory / f"{p.name}.csv.gz"
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{p.name}"')
                rows = 0
                with gzip.open(target, "wb") as out:
                    with cur.copy(
                        f'COPY (SELECT * FROM "{p.name}" ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)'
                    ) as copy:
                        for chunk in copy:
                            out.write(chunk)
                cur.execute(f'SELECT count(*) FROM "{p.name}"')
                rows = cur.fetchone()[0]
                if not keep:
                    cur.execute(f'DROP TABLE "{p.name}"')
            done.append((p.name, target, rows))
    return done
