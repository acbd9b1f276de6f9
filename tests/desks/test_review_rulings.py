"""Rulings [AS-3][SLA-3] and the review desk [HD-1][HD-2][HD-3] on their pages."""

from __future__ import annotations

import pytest

from assessment.metrics import CONDITIONS
from dispatch import services
from dispatch.exceptions import RuleViolation
from dispatch.models import CallerContact, Reply, Status
from tests.helpers import WATER_REPLY, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def water(db):
    return make_ticket(category="0801", description="长青社区停水一整天了没有通知")


def test_a_reply_needs_a_recorded_contact_or_a_failed_attempt_HD_1(users, water):
    unit = users["water_handler"]
    services.sign_for(ticket=water, by=unit)
    with pytest.raises(RuleViolation) as refused:
        services.reply(ticket=water, by=unit, **WATER_REPLY)
    assert refused.value.code == "no_contact" and "[HD-1]" in refused.value.message
    services.contact_caller(ticket=water, by=unit, note="电话无人接听", means="phone", outcome="failed")
    water.refresh_from_db()
    assert water.contacted_at is None  # a failed attempt is a fact, not a contact
    assert list(CallerContact.objects.filter(ticket=water).values_list("outcome", flat=True)) == ["failed"]
    services.reply(ticket=water, by=unit, **WATER_REPLY)
    water.refresh_from_db()
    assert water.status == Status.REPLIED and water.contacted_at is None
    assert [e.action for e in water.events.order_by("at", "id")][-2:] == ["contact_attempt", "reply"]


def test_the_contact_metric_counts_only_a_contact_before_the_reply_HD_1():
    """[HD-1][AR-1] the old reply service stamped contacted_at with the reply's time: that is no contact."""
    assert "r.contacted_at < a.replied_at" in CONDITIONS["contacted"]  # the round's own contact [HD-1]


def test_the_review_desk_shows_the_reply_fields_and_sends_back_with_what_is_missing_HD_2_HD_3(users, as_user, water):
    unit = users["water_handler"]
    services.sign_for(ticket=water, by=unit)
    services.contact_caller(ticket=water, by=unit, note="电话告知恢复时间", means="phone")
    services.reply(ticket=water, by=unit, **WATER_REPLY)
    center = as_user("city_dispatcher")
    assert water.number in center.get("/desks/review/").content.decode()
    page = center.get(f"/desks/t/{water.number}/").content.decode()
    for value in WATER_REPLY.values():
        assert value in page
    assert center.post(f"/desks/t/{water.number}/send-back/", {}).status_code == 400  # say what is missing
    resp = center.post(f"/desks/t/{water.number}/send-back/", {"send-back-missing": ["basis", "photos"]})
    assert resp.status_code == 302
    water.refresh_from_db()
    assert water.status == Status.IN_PROGRESS
    reply = Reply.objects.get(ticket=water, role="lead")
    assert reply.review == "sent_back" and "缺少" in reply.review_note
    services.reply(ticket=water, by=unit, **WATER_REPLY)
    assert center.post(f"/desks/t/{water.number}/accept-reply/", {"accept-reply-note": "答复完整"}).status_code == 302
    water.refresh_from_db()
    assert water.status == Status.CLOSED


def test_a_return_is_ruled_beside_the_units_reason_AS_3(users, as_user):
    ticket = make_ticket(category="0101")
    services.request_return(
        ticket=ticket,
        by=users["changqing_head"],
        reason="属于市政主管网，不属社区职责",
        suggested_office="DEPT-housing",
    )
    center = as_user("xinhua_dispatcher")  # [ORG-3] the district's dispatch center rules for its townships
    page = center.get("/desks/rulings/").content.decode()
    assert ticket.number in page and "属于市政主管网" in page
    resp = center.post(f"/desks/t/{ticket.number}/approve-return/", {"approve-return-note": "同意改派住建局"})
    assert resp.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED
    assert ticket.assignments.get(is_active=True, role="lead").office.code == "DEPT-housing"


def test_an_extension_is_ruled_on_the_desk_SLA_3(users, as_user, water):
    unit = users["water_handler"]
    services.sign_for(ticket=water, by=unit)
    services.request_extension(ticket=water, by=unit, days=2, reason="需更换主管道阀门", signed_off_by="孙经理")
    center = as_user("city_dispatcher")
    assert "需更换主管道阀门" in center.get("/desks/rulings/").content.decode()
    assert center.post(f"/desks/t/{water.number}/refuse-extension/", {"refuse-extension-note": ""}).status_code == 400
    assert (
        center.post(f"/desks/t/{water.number}/approve-extension/", {"approve-extension-note": "同意"}).status_code
        == 302
    )
    assert water.extensions.get().state == "approved"


def test_the_api_records_a_failed_contact_attempt_with_its_means_HD_1(as_user, water):
    unit = as_user("water_handler")
    unit.post(f"/api/tickets/{water.number}/sign-for/", {}, content_type="application/json")
    url = f"/api/tickets/{water.number}/contact/"
    bad = unit.post(url, {"note": "打不通", "outcome": "maybe"}, content_type="application/json")
    assert bad.status_code == 400 and "outcome" in bad.json()
    ok = unit.post(
        url, {"note": "两次电话未接通", "means": "phone", "outcome": "failed"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["contacted_at"] is None
    assert CallerContact.objects.get(ticket=water).outcome == "failed"
