"""The audit log [IN-2]: every ticket state change and every unmasked showing of a caller writes a row
(who, when, office, what, which ticket, from where); log-ins and lock-outs too; the log is append-only in
the application and in PostgreSQL, and exportable as CSV (streamed) and with `manage.py export_audit`."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry, AuditLogIsAppendOnly
from dispatch.models import Ticket, TicketEvent
from dispatch.services import accept_reply, reply, sign_for
from dispatch.supervision import supervise_once
from grid.models import User
from loaders.demo import load_demo
from tests.helpers import WATER_REPLY, make_ticket

pytestmark = pytest.mark.django_db


def rows_of(ticket: Ticket):
    return AuditEntry.objects.filter(ticket_number=ticket.number)


def events_without_audit_row(tickets) -> list[int]:
    """TicketEvents of these tickets that have no audit row naming them."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT e.id FROM dispatch_ticketevent e WHERE e.ticket_id = ANY(%s) AND NOT EXISTS ("
            " SELECT 1 FROM audit_auditentry a WHERE a.object_type = 'ticket'"
            " AND a.action = 'ticket.' || e.action AND (a.details->>'event')::bigint = e.id)",
            [[t.id for t in tickets]],
        )
        return [r[0] for r in cur.fetchall()]


# -- state changes ------------------------------------------------------------------------


def test_every_transition_of_a_ticket_writes_one_audit_row_with_who_office_and_states(users):
    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    sign_for(ticket=t, by=users["water_handler"])
    reply(ticket=t, by=users["water_handler"], **WATER_REPLY)
    accept_reply(ticket=t, by=users["city_dispatcher"])
    events = list(t.events.order_by("id"))
    audit = list(rows_of(t).filter(action__startswith="ticket.").order_by("id"))
    assert [a.action for a in audit] == [f"ticket.{e.action}" for e in events]
    assert [a.details["event"] for a in audit] == [e.id for e in events]
    sign = next(a for a in audit if a.action == "ticket.sign_for")
    assert (sign.username, sign.office_code) == ("water_handler", "DEPT-water")
    assert sign.user_id == users["water_handler"].id
    assert (sign.details["from"], sign.details["to"]) == ("dispatched", "in_progress")
    assert (sign.object_type, sign.object_id) == ("ticket", str(t.id))
    closed = next(a for a in audit if a.action == "ticket.accept_reply")
    assert (closed.username, closed.office_code) == ("city_dispatcher", "CC-410400")
    intake = audit[0]
    assert intake.action == "ticket.accept_intake" and intake.user_id is None  # the system routed it


def test_a_transition_rolled_back_leaves_no_audit_row(users):
    t = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水")
    before = rows_of(t).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        sign_for(ticket=t, by=users["heating_handler"])
        raise RuntimeError("the request failed after the transition")
    assert rows_of(t).count() == before


def test_api_transitions_carry_the_clients_address(as_user):
    t = make_ticket(category="0701", description="长青社区19号楼暖气管道漏水")
    client = as_user("heating_handler")
    resp = client.post(f"/api/tickets/{t.number}/sign-for/", {}, REMOTE_ADDR="10.20.30.40")
    assert resp.status_code == 200, resp.content
    row = rows_of(t).get(action="ticket.sign_for")
    assert row.remote_addr == "10.20.30.40"
    assert row.details["path"] == f"/api/tickets/{t.number}/sign-for/"


def test_supervision_fieldwork_intake_demo_and_import_leave_no_event_without_its_row(users, tmp_path):
    late = make_ticket(received_at=timezone.now() - dt.timedelta(days=8))  # past its 5 days: escalated
    supervise_once(now=timezone.now())
    assert late.events.filter(action__in=["remind", "phone_supervision", "written_supervision"]).exists()
    report = load_demo(count=40, seed=77, days=7, end=timezone.now().replace(minute=0, second=0, microsecond=0))
    assert report.created == 40
    demo = list(Ticket.objects.filter(external_id__startswith="demo:77:"))
    path = tmp_path / "tickets.csv"
    path.write_text(
        "external_id,channel,kind,category,description,address,caller_name,caller_phone\n"
        "imp-1,phone,complaint,0101,长青路下水道堵塞,平顶山市新华区光明路街道长青路12号,李雷,13911112222\n",
        encoding="utf-8",
    )
    call_command("import_tickets", str(path), verbosity=0)
    imported = list(Ticket.objects.filter(external_id="imp-1"))
    tickets = [late, *demo, *imported]
    assert TicketEvent.objects.filter(ticket__in=tickets).count() > 40 * 3
    assert events_without_audit_row(tickets) == []


# -- caller views -----------------------------------------------------------------------------


def test_the_center_seeing_the_caller_writes_a_row_a_masked_view_does_not(as_user):
    t = make_ticket(caller_name="欧阳娜娜", caller_phone="13900007777")
    resp = as_user("city_dispatcher").get(f"/api/tickets/{t.number}/", REMOTE_ADDR="10.0.0.8")
    assert resp.json()["caller"]["phone"] == "13900007777"
    row = rows_of(t).get(action="caller.viewed")
    assert (row.username, row.office_code, row.remote_addr) == ("city_dispatcher", "CC-410400", "10.0.0.8")
    assert row.details["fields"] == ["name", "phone"] and row.details["path"] == f"/api/tickets/{t.number}/"
    assert "13900007777" not in str(row.details) and "欧阳娜娜" not in str(row.details)
    resp = as_user("guangminglu_handler").get(f"/api/tickets/{t.number}/")
    assert resp.json()["caller"]["masked"] is True
    assert rows_of(t).filter(action="caller.viewed").count() == 1


def test_a_list_writes_one_row_per_unmasked_caller_in_one_insert(as_user):
    tickets = [make_ticket(description=f"长青路{i}号下水道堵了，污水漫到路面") for i in range(3)]
    client = as_user("city_dispatcher")
    before = AuditEntry.objects.filter(action="caller.viewed").count()
    with CaptureQueriesContext(connection) as queries:
        resp = client.get("/api/tickets/?page_size=5")
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1
    numbers = [r["number"] for r in resp.json()["results"]]
    assert {t.number for t in tickets} <= set(numbers)
    seen = AuditEntry.objects.filter(action="caller.viewed", id__gt=0).order_by("-id")[: len(numbers)]
    assert AuditEntry.objects.filter(action="caller.viewed").count() - before == len(numbers)
    assert {r.ticket_number for r in seen} == set(numbers)


def test_workstation_page_and_admin_showing_the_caller_are_audited(as_user):
    t = make_ticket(caller_name="欧阳娜娜", caller_phone="13900007777")
    resp = as_user("city_dispatcher").get(f"/w/t/{t.number}/")
    assert resp.status_code == 200 and "13900007777" in resp.content.decode()
    assert rows_of(t).filter(action="caller.viewed", username="city_dispatcher").count() == 1
    resp = as_user("admin").get(f"/admin/dispatch/ticket/{t.id}/change/")
    assert resp.status_code == 200 and "13900007777" in resp.content.decode()
    assert rows_of(t).filter(action="caller.viewed", username="admin").count() == 1
    resp = as_user("changqing_grid").get(f"/w/t/{t.number}/")
    assert resp.status_code == 200 and "13900007777" not in resp.content.decode()
    assert not rows_of(t).filter(action="caller.viewed", username="changqing_grid").exists()


# -- log-ins ----------------------------------------------------------------------------------


def test_log_in_failure_log_out_and_lock_out_are_audited_without_the_password(settings):
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post("/accounts/login/", {"username": "changqing_head", "password": "s3cret-wrong"})
    failed = AuditEntry.objects.filter(action="auth.login_failed").latest("id")
    assert (failed.username, failed.remote_addr, failed.office_code) == (
        "changqing_head",
        "192.0.2.7",
        "WS-410402002005",
    )
    assert "s3cret-wrong" not in str(failed.details)
    client.post("/accounts/login/", {"username": "nobody-here", "password": "x"})
    stranger = AuditEntry.objects.filter(action="auth.login_failed").latest("id")
    assert stranger.username == "nobody-here" and stranger.user_id is None and stranger.details["known_user"] is False
    client.post("/accounts/login/", {"username": "changqing_head", "password": "demo12345"})
    ok = AuditEntry.objects.filter(action="auth.login").latest("id")
    assert ok.user_id == User.objects.get(username="changqing_head").id and ok.remote_addr == "192.0.2.7"
    client.post("/accounts/logout/")
    assert AuditEntry.objects.filter(action="auth.logout", username="changqing_head").exists()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "changqing_grid", "password": "wrong"})
    locked = AuditEntry.objects.filter(action="auth.locked_out").latest("id")
    assert (locked.username, locked.remote_addr) == ("changqing_grid", "192.0.2.7")


# -- append-only --------------------------------------------------------------------------------


def make_row() -> AuditEntry:
    return AuditEntry.objects.create(action="auth.login", username="someone")


def test_the_model_refuses_to_update_or_delete_a_row():
    row = make_row()
    row.action = "auth.logout"
    with pytest.raises(AuditLogIsAppendOnly):
        row.save()
    with pytest.raises(AuditLogIsAppendOnly):
        row.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=row.pk).update(action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=row.pk).delete()
    assert AuditEntry.objects.get(pk=row.pk).action == "auth.login"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s",
        "UPDATE audit_auditentry SET details = '{}'::jsonb WHERE id >= %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_update_or_delete_a_row_from_any_client(sql):
    row = make_row()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, [row.pk])
    with connection.cursor() as cur:
        cur.execute("SELECT action FROM audit_auditentry WHERE id = %s", [row.pk])
        assert cur.fetchone() == ("auth.login",)
        cur.execute(
            "INSERT INTO audit_auditentry (at, username, action, object_type, object_id, ticket_number,"
            " office_code, details) VALUES (now(), 'x', 'raw.insert', '', '', '', '', '{}')"
        )  # inserts pass


def test_admin_shows_the_log_read_only_with_no_add_change_or_delete(as_user):
    row = make_row()
    admin = as_user("admin")
    assert admin.get("/admin/audit/auditentry/").status_code == 200
    page = admin.get(f"/admin/audit/auditentry/{row.pk}/change/")
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()
    assert admin.post(f"/admin/audit/auditentry/{row.pk}/change/", {"action": "x"}).status_code == 403
    assert admin.get(f"/admin/audit/auditentry/{row.pk}/delete/").status_code == 403
    assert admin.post(f"/admin/audit/auditentry/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=row.pk).action == "auth.login"


# -- export ---------------------------------------------------------------------------------


def read_csv(content: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.lstrip("\ufeff"))))


def test_admin_exports_a_period_as_streamed_csv_with_filters(as_user):
    t = make_ticket(caller_name="欧阳娜娜", caller_phone="13900007777")
    today = timezone.localdate()
    old = AuditEntry.objects.create(action="auth.login", username="long-ago", at=timezone.now() - dt.timedelta(days=40))
    resp = as_user("admin").get(f"/audit/export.csv?from={today - dt.timedelta(days=1)}&to={today}")
    assert resp.status_code == 200 and resp.streaming
    assert resp["Content-Type"].startswith("text/csv")
    rows = read_csv(b"".join(resp.streaming_content).decode())
    assert list(rows[0]) == [
        "id",
        "at",
        "user_id",
        "username",
        "office_code",
        "action",
        "object_type",
        "object_id",
        "ticket_number",
        "remote_addr",
        "details",
    ]
    assert {r["action"] for r in rows if r["ticket_number"] == t.number} >= {"ticket.accept_intake"}
    assert str(old.id) not in {r["id"] for r in rows}
    assert AuditEntry.objects.filter(action="audit.exported", username="admin").exists()
    resp = as_user("admin").get(f"/audit/export.csv?from={today}&to={today}&action=ticket.&ticket={t.number}")
    rows = read_csv(b"".join(resp.streaming_content).decode())
    assert rows and all(r["action"].startswith("ticket.") and r["ticket_number"] == t.number for r in rows)


def test_the_export_streams_a_long_period_in_batches(as_user):
    AuditEntry.objects.bulk_create([AuditEntry(action="auth.login", username=f"u{i}") for i in range(4500)])
    today = timezone.localdate()
    resp = as_user("admin").get(f"/audit/export.csv?from={today}&to={today}&action=auth.login")
    chunks = list(resp.streaming_content)
    assert len(chunks) >= 4  # header + three batches of at most 2,000
    rows = read_csv(b"".join(chunks).decode())
    assert len({r["id"] for r in rows}) == len(rows) >= 4500


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "from"),
        ("from=2026-13-01&to=2026-12-01", "from"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("from=2024-01-01&to=2026-01-01", "to"),
    ],
)
def test_bad_export_filters_are_a_400_naming_the_field(as_user, query, field):
    resp = as_user("admin").get(f"/audit/export.csv?{query}")
    assert resp.status_code == 400
    assert field in resp.json()["errors"]


def test_only_admins_and_granted_center_auditors_may_export(as_user, client):
    today = timezone.localdate()
    url = f"/audit/export.csv?from={today}&to={today}"
    assert client.get(url).status_code == 302  # to the log-in page
    for username in ("city_dispatcher", "wall_viewer", "xinhua_dispatcher", "changqing_grid"):
        assert as_user(username).get(url).status_code == 403, username
    auditor = User.objects.get(username="wall_viewer")
    auditor.user_permissions.add(Permission.objects.get(codename="export_auditentry"))
    assert as_user("wall_viewer").get(url).status_code == 200


def test_manage_py_export_audit_writes_the_period_to_a_file(tmp_path):
    make_ticket()
    today = timezone.localdate()
    out = tmp_path / "audit.csv"
    call_command("export_audit", "--from", str(today), "--to", str(today), "--action", "ticket", "--output", str(out))
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert rows and all(r["action"].startswith("ticket.") for r in rows)
    with pytest.raises(CommandError, match="--from"):
        call_command("export_audit", "--from", "yesterday", "--to", str(today))


def test_behind_one_trusted_proxy_the_client_is_the_address_it_appended(settings, rf):
    from core.security import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "127.0.0.1"  # no proxy trusted: X-Forwarded-For is the client's say-so
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # what nginx appended, not what the client claimed
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")) == "127.0.0.1"
