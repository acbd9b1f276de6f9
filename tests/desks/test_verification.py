"""Verifying callbacks (回访复核) for units suspected of false reports [AR-5], and the callback desk's monthly
monitoring [CB-3]: the system's suspicion, flagging a unit or a ticket, the seeded sample, the finding, a
false reply back in rework [SLA-4], the unit's month and the supervision desk's notice list [AR-3]."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from desks import verification
from desks.models import EvaluationItem, EvaluationSample, FalseReportCase, VerifyingCallback
from dispatch.models import Status
from dispatch.services import record_callback
from tests.helpers import closed_water_ticket, events, make_ticket

pytestmark = pytest.mark.django_db
VERIFY = "/desks/callbacks/verify/"


def water(users, n: int = 1):
    return [closed_water_ticket(users) for _i in range(n)]


def flag(client, **data):
    body = {
        "unit": "",
        "tickets": "",
        "reason": "回访发现答复与事实不符",
        "sample_size": 0,
        "seed": "",
        "source": "person",
    }
    return client.post(f"{VERIFY}cases/", {**body, **data})


def record(client, item, outcome, note=""):
    return client.post(f"{VERIFY}{item.pk}/", {f"v{item.pk}-outcome": outcome, f"v{item.pk}-note": note})


def queue_of(page: str) -> str:
    return page.split('id="verify-queue"')[1].split("</table>")[0]


def test_a_flagged_ticket_found_false_goes_back_to_rework_AR_5_SLA_4(users, as_user):
    ticket, other = water(users, 2)
    center = as_user("city_dispatcher")
    assert (
        f"/desks/callbacks/verify/?ticket={ticket.number}" in center.get(f"/desks/t/{ticket.number}/").content.decode()
    )
    resp = flag(center, tickets=ticket.number, reason="来电人反映从未接到供水公司电话")
    assert resp.status_code == 302, resp.content.decode()
    case = FalseReportCase.objects.get()
    assert case.unit.code == "DEPT-water" and case.source == "person"  # the unit of the accepted reply
    item = VerifyingCallback.objects.get(case=case)
    assert (item.ticket_id, item.step, item.why, item.outcome) == (ticket.id, 1, "flagged", "")
    assert AuditEntry.objects.filter(action="verify.case_opened", object_id=str(case.id)).exists()
    page = center.get(VERIFY).content.decode()
    assert ticket.number in queue_of(page) and other.number not in queue_of(page)  # a sample of 0
    assert "13812341234" in queue_of(page)  # the agent calls the caller back: the center sees them

    bare = record(center, item, "no_contact")  # a false reply needs notes: a 400 that says so
    assert bare.status_code == 400 and "虚假答复须填写" in bare.content.decode()
    assert record(center, item, "no_contact", "来电人称从未有人联系，停水问题仍未解决").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.step == 2  # [SLA-4] rework: a round of its own
    lead = ticket.assignments.get(is_active=True, role="lead")
    assert lead.office.code == "DEPT-water" and "[AR-5]" in lead.why
    assert events(ticket)[-3:] == ["queue_verification", "verify_reply", "rework"]
    assert ticket.rounds.get(step=1).closed_at is not None  # the false round keeps its closing
    item.refresh_from_db()
    assert item.outcome == "no_contact" and item.reworked and item.recorded_by == users["city_dispatcher"]
    assert AuditEntry.objects.filter(action="ticket.verify_reply", ticket_number=ticket.number).exists()
    again = record(center, item, "confirmed")  # recorded once
    assert again.status_code == 409 and "已记录" in again.content.decode()
    # [AR-3] the supervision desk lists the unit for the city-wide notice
    supervision = center.get("/desks/supervision/").content.decode()
    assert 'id="false-replies"' in supervision and "市自来水公司" in supervision.split('id="false-replies"')[1]


def test_confirmed_and_unreachable_leave_the_ticket_where_it_was_AR_5(users, as_user):
    a, b = water(users, 2)
    center = as_user("city_dispatcher")
    assert flag(center, tickets=f"{a.number}, {b.number}").status_code == 302
    first, second = VerifyingCallback.objects.order_by("ticket_id")
    assert record(center, first, "confirmed").status_code == 302
    assert record(center, second, "unreachable", "三次拨打无人接听").status_code == 302
    for t in (a, b):
        t.refresh_from_db()
        assert t.status == Status.CLOSED and t.step == 1
        assert events(t)[-1] == "verify_reply"
    assert not VerifyingCallback.objects.filter(reworked=True).exists()


def test_the_sample_is_seeded_and_reproducible_and_a_round_is_queued_once_AR_5(users, as_user):
    tickets = water(users, 6)
    water_unit = tickets[0].assignments.get(role="lead").office
    center = as_user("city_dispatcher")
    assert flag(center, unit="DEPT-water 供水", sample_size=3, seed=7).status_code == 302
    drawn = set(VerifyingCallback.objects.values_list("ticket_id", flat=True))
    assert len(drawn) == 3 and FalseReportCase.objects.get().seed == 7
    assert set(VerifyingCallback.objects.values_list("why", flat=True)) == {"sample"}
    # while they wait, a second case does not queue them again: it takes the other three
    assert flag(center, unit="DEPT-water", sample_size=6, seed=7).status_code == 302
    second = FalseReportCase.objects.order_by("-id").first()
    assert set(second.callbacks.values_list("ticket_id", flat=True)) == {t.id for t in tickets} - drawn
    # nothing left to queue: a 409 that says so, and no empty case
    nothing = flag(center, unit="DEPT-water", sample_size=6)
    assert nothing.status_code == 409 and FalseReportCase.objects.count() == 2
    # once recorded, the same seed over the same tickets draws the same sample again
    for item in VerifyingCallback.objects.all():
        assert record(center, item, "confirmed").status_code == 302
    assert flag(center, unit="DEPT-water", sample_size=3, seed=7).status_code == 302
    third = FalseReportCase.objects.order_by("-id").first()
    assert set(third.callbacks.values_list("ticket_id", flat=True)) == drawn
    assert verification.sample_pool(
        users["city_dispatcher"], water_unit, since=timezone.now() - timezone.timedelta(days=30)
    ) == sorted(t.id for t in tickets)


def test_the_system_suspects_a_unit_whose_solved_replies_callers_contradict_AR_5_CB_3(users, as_user):
    tickets = water(users, 4)
    dispatcher = users["city_dispatcher"]
    for t in tickets[:2]:  # unsatisfied at the callback after a "solved" reply: rework [SLA-4]
        record_callback(ticket=t, by=dispatcher, channel="phone", satisfaction="unsatisfied", note="问题没解决")
    record_callback(ticket=tickets[2], by=dispatcher, channel="phone", satisfaction="satisfied")
    assert verification.signals(dispatcher) == []  # 2 contradicted: below the minimum of 3
    # the evaluator finds the satisfied caller's problem unsolved after all
    sample = EvaluationSample.objects.create(code="EV-t", office=dispatcher.office, created_at=timezone.now(), size=1)
    EvaluationItem.objects.create(
        sample=sample, ticket=tickets[2], satisfaction="unsatisfied", agrees=False, evaluated_at=timezone.now()
    )
    [signal] = verification.signals(dispatcher)
    assert (signal.unit.code, signal.replies, signal.contradicted) == ("DEPT-water", 4, 3)
    center = as_user("city_dispatcher")
    page = center.get(VERIFY).content.decode()
    assert 'data-unit="DEPT-water"' in page.split('id="signals"')[1]
    # flagging from the signal queues the contradicted replies, each on the round it verifies
    assert flag(center, unit="DEPT-water", source="signal", reason="系统提示：4件中3件被否定").status_code == 302
    items = {i.ticket_id: i for i in VerifyingCallback.objects.all()}
    assert set(items) == {t.id for t in tickets[:3]} and {i.why for i in items.values()} == {"signal"}
    assert {items[t.id].step for t in tickets[:2]} == {1}
    # a false finding on a round that is already being reworked is recorded without a second rework
    assert record(center, items[tickets[0].id], "unsolved", "来电人说还是没水").status_code == 302
    tickets[0].refresh_from_db()
    assert tickets[0].step == 2 and not VerifyingCallback.objects.get(pk=items[tickets[0].id].pk).reworked
    assert record(center, items[tickets[2].id], "unsolved", "第三方回访核实仍未恢复").status_code == 302
    tickets[2].refresh_from_db()
    assert tickets[2].status == Status.DISPATCHED and tickets[2].step == 2 and tickets[2].archived_at is None


def test_the_units_month_shows_its_false_replies_unscored_AR_5_AR_3(users, as_user):
    [ticket] = water(users)
    center = as_user("city_dispatcher")
    flag(center, tickets=ticket.number)
    item = VerifyingCallback.objects.get()
    record(center, item, "unsolved", "现场仍在漏水")
    office = ticket.assignments.get(step=1, role="lead").office
    month = timezone.localdate().strftime("%Y-%m")
    page = center.get(f"/assessment/{month}/unit/{office.id}/").content.decode()
    assert 'id="false-replies"' in page and ticket.number in page.split('id="false-replies"')[1]
    own = as_user("water_handler").get(f"/assessment/{month}/unit/{office.id}/").content.decode()
    assert ticket.number in own  # the unit sees its own


def test_bad_input_is_a_clear_4xx_AR_5(users, as_user):
    [ticket] = water(users)
    center = as_user("city_dispatcher")
    assert "不存在编码" in flag(center, unit="NOPE-1").content.decode()
    assert flag(center, unit="NOPE-1").status_code == 400
    assert flag(center).status_code == 400  # neither a unit nor a ticket
    assert flag(center, unit="DEPT-water", reason="").status_code == 400
    assert flag(center, unit="DEPT-water", sample_size=51).status_code == 400
    wrong_unit = flag(center, unit="DEPT-heating", tickets=ticket.number)
    assert wrong_unit.status_code == 400 and FalseReportCase.objects.count() == 0
    open_ticket = make_ticket(category="0801")
    refused = flag(center, tickets=open_ticket.number)
    assert refused.status_code == 400 and "没有已认定的答复" in refused.content.decode()
    flag(center, tickets=ticket.number)
    item = VerifyingCallback.objects.get()
    assert record(center, item, "maybe").status_code == 400
    assert center.get("/desks/callbacks/monitoring/?month=2026-13").status_code == 400
    assert center.get("/desks/callbacks/monitoring/?format=xlsx").status_code == 400


def test_other_desks_get_a_404_and_others_a_403_AR_5(users, as_user):
    [ticket] = water(users)  # 长青社区, 新华区: the city center's, and in 新华区's county dispatch center's scope
    center = as_user("city_dispatcher")
    flag(center, tickets=ticket.number)
    item = VerifyingCallback.objects.get()
    for name in ("ruzhou_dispatcher", "gaoxin_dispatcher"):  # another county's desk
        other = as_user(name)
        assert record(other, item, "confirmed").status_code == 404
        assert flag(other, tickets=ticket.number).status_code == 404
        assert ticket.number not in other.get(VERIFY).content.decode()
    for name in ("changqing_grid", "water_handler"):  # not a center's dispatcher
        other = as_user(name)
        assert other.get(VERIFY).status_code == 403
        assert record(other, item, "confirmed").status_code == 403
        assert flag(other, tickets=ticket.number).status_code == 403
        assert other.get("/desks/callbacks/monitoring/").status_code == 403
    item.refresh_from_db()
    assert item.outcome == ""
    county = as_user("xinhua_dispatcher")  # a county dispatch center acts for its own townships
    assert ticket.number in queue_of(county.get(VERIFY).content.decode())
    assert record(county, item, "confirmed").status_code == 302


def test_monthly_monitoring_per_unit_with_csv_CB_3(users, as_user):
    tickets = water(users, 3)
    dispatcher = users["city_dispatcher"]
    record_callback(ticket=tickets[0], by=dispatcher, channel="phone", satisfaction="satisfied")
    record_callback(ticket=tickets[1], by=dispatcher, channel="phone", satisfaction="unsatisfied", note="没解决")
    sample = EvaluationSample.objects.create(code="EV-m", office=dispatcher.office, created_at=timezone.now(), size=1)
    EvaluationItem.objects.create(
        sample=sample, ticket=tickets[0], satisfaction="satisfied", agrees=True, evaluated_at=timezone.now()
    )
    center = as_user("city_dispatcher")
    flag(center, tickets=tickets[2].number)
    record(center, VerifyingCallback.objects.get(ticket=tickets[2]), "unsolved", "仍未解决")
    month = timezone.localdate().strftime("%Y-%m")
    page = center.get(f"/desks/callbacks/monitoring/?month={month}")
    assert page.status_code == 200 and 'data-unit="DEPT-water"' in page.content.decode()
    resp = center.get(f"/desks/callbacks/monitoring/?month={month}&format=csv")
    assert resp["Content-Type"].startswith("text/csv")
    rows = {r["unit_code"]: r for r in csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig")))}
    w = rows["DEPT-water"]
    assert (w["closed"], w["reached"], w["satisfied"], w["satisfaction_rate"]) == ("3", "2", "1", "50.0")
    assert (w["evaluated"], w["agreeing"], w["agreement_rate"]) == ("1", "1", "100.0")
    assert (w["verified"], w["false_replies"]) == ("1", "1")
