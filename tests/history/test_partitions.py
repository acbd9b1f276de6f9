"""Tickets' events and the audit log are partitioned by month; old months are detached and
archived; the audit log stays append-only on every partition."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEntry
from dispatch.models import TicketEvent
from history.services import TABLES, archive_before, ensure_partitions, partitions
from tests.helpers import make_ticket

pytestmark = pytest.mark.django_db

OLD = dt.datetime(2019, 3, 15, 10, tzinfo=dt.UTC)


def _one(sql: str, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def test_both_tables_are_partitioned_by_month_with_the_key_in_the_primary_key():
    for table in TABLES:
        assert _one("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass", [table]) == ("r",)
        assert _one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        ) == ("PRIMARY KEY (id, at)",)
        months = [p.month for p in partitions(table) if p.month]
        this = timezone.localtime().date().replace(day=1)
        assert this in months and partitions(table)[-1].month is None  # and a default


def test_writes_go_through_and_old_rows_get_their_month(users):
    t = make_ticket()
    assert t.events.exists() and AuditEntry.objects.filter(ticket_number=t.number).exists()
    e = TicketEvent.objects.create(ticket=t, at=OLD, action="note", to_status=t.status)
    AuditEntry.objects.create(at=OLD, action="test.old", ticket_number=t.number)
    assert e.id and TicketEvent.objects.filter(id=e.id).exists()
    # No partition for 2019-03 yet: the rows wait in the default partition until the job's pass.
    assert _one("SELECT count(*) FROM dispatch_ticketevent_default") == (1,)
    assert ensure_partitions() == 2
    assert _one("SELECT count(*) FROM dispatch_ticketevent_default") == (0,)
    assert _one("SELECT count(*) FROM dispatch_ticketevent_p201903") == (1,)
    assert _one("SELECT count(*) FROM audit_auditentry_p201903") == (1,)
    assert ensure_partitions() == 0


def test_the_audit_log_is_append_only_on_every_partition(users):
    make_ticket()
    AuditEntry.objects.create(at=OLD, action="test.old")
    ensure_partitions()
    names = [p.name for p in partitions("audit_auditentry")]
    assert len(names) >= 5
    for name in [*names, "audit_auditentry"]:
        assert _one(
            "SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND t.tgname = 'audit_auditentry_append_only'",
            [name],
        ) == (1,), name
    # Every partition that holds rows refuses to change them (row triggers fire per row).
    holding = [n for n in names if _one(f'SELECT count(*) FROM "{n}"')[0]]
    assert "audit_auditentry_p201903" in holding and len(holding) >= 2
    for name in [*holding, "audit_auditentry"]:
        for sql in (f"UPDATE \"{name}\" SET action = 'x'", f'DELETE FROM "{name}"'):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(sql)
    # A partition made later (by the job) gets the trigger too.
    AuditEntry.objects.create(at=dt.datetime(2018, 1, 2, tzinfo=dt.UTC), action="test.older")
    ensure_partitions()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM audit_auditentry_p201801")


def test_old_months_are_detached_and_archived(users, tmp_path):
    t = make_ticket()
    for day in (3, 20):
        TicketEvent.objects.create(ticket=t, at=OLD.replace(day=day), action="note", to_status=t.status)
        AuditEntry.objects.create(at=OLD.replace(day=day), action="test.old", ticket_number=t.number)
    ensure_partitions()
    # The rows were written in this (test) transaction: check their deferred foreign keys now, as a
    # commit would, so that their month can be dropped like any month written long ago.
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    done = archive_before(dt.date(2019, 4, 1), tmp_path)
    assert sorted((name, rows) for name, _path, rows in done) == [
        ("audit_auditentry_p201903", 2),
        ("dispatch_ticketevent_p201903", 2),
    ]
    with gzip.open(tmp_path / "audit_auditentry_p201903.csv.gz", "rt") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("id,at,") and len(lines) == 3 and all("test.old" in line for line in lines[1:])
    assert _one("SELECT to_regclass('audit_auditentry_p201903')") == (None,)
    assert not AuditEntry.objects.filter(at__lt=dt.datetime(2019, 4, 1, tzinfo=dt.UTC)).exists()
    assert t.events.exists()  # this month's stay
    # Still append-only after the archive.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("UPDATE audit_auditentry SET action = 'x' WHERE ticket_number = %s", [t.number])


def test_keep_leaves_the_month_as_a_detached_table(users, tmp_path):
    AuditEntry.objects.create(at=OLD, action="test.old")
    ensure_partitions()
    archive_before(dt.date(2019, 4, 1), tmp_path, keep=True)
    assert _one("SELECT count(*) FROM audit_auditentry_p201903") == (1,)
    assert _one("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'audit_auditentry_p201903'::regclass") == (0,)
