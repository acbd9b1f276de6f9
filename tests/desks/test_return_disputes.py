"""Disputes over refused returns (退单争议审核) [AR-5]: the unit disputes a refusal once, an administrator of the
ticket's center who did not refuse gives the second, final ruling."""

from __future__ import annotations

import pytest

from assessment.disputes import dispute_return, rule_return_dispute
from assessment.models import ReturnDispute
from dispatch import services
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Assignment, Status
from tests.helpers import events, make_ticket

pytestmark = pytest.mark.django_db


def _refused(users, *, refused_by="city_dispatcher"):
    """A water ticket the water company returned as the heating company's, and the center refused the return."""
    ticket = make_ticket(category="0801", description="小区暖气管道漏水，楼道结冰")
    services.request_return(
        ticket=ticket, by=users["water_handler"], reason="暖气管道属供热公司", suggested_office="DEPT-heating"
    )
    services.refuse_return(ticket=ticket, by=users[refused_by], note="漏水点在供水管段")
    lead = ticket.assignments.get(role="lead", office=users["water_handler"].office)
    assert lead.state == Assignment.State.ASSIGNED
    return ticket, lead


def test_the_unit_disputes_a_refusal_once_and_the_second_ruling_overturns_it_AR_5(users):
    ticket, lead = _refused(users)
    with pytest.raises(NotPermitted):
        dispute_return(assignment=lead, by=users["heating_handler"], reason="不是我们的")
    dispute = dispute_return(assignment=lead, by=users["water_handler"], reason="现场确认为供热管道")
    with pytest.raises(RuleViolation) as twice:
        dispute_return(assignment=lead, by=users["water_handler"], reason="再次申请")
    assert twice.value.code == "disputed"
    for who in ("city_dispatcher", "water_handler", "xinhua_dispatcher"):  # not the center's administrator
        with pytest.raises(NotPermitted):
            rule_return_dispute(dispute=dispute, by=users[who], overturn=True, ruling="同意退回")
    rule_return_dispute(dispute=dispute, by=users["admin"], overturn=True, ruling="经核实属供热管道")
    dispute.refresh_from_db()
    ticket.refresh_from_db()
    assert dispute.state == ReturnDispute.State.OVERTURNED
    lead.refresh_from_db()
    assert lead.state == Assignment.State.RETURNED and not lead.is_active
    new_lead = ticket.assignments.get(is_active=True, role="lead")
    assert new_lead.office == users["heating_handler"].office and ticket.status == Status.DISPATCHED
    assert events(ticket)[-4:] == ["refuse_return", "dispute_return", "overturn_refusal", "approve_return"]


def test_the_person_who_refused_cannot_give_the_second_ruling_AR_5(users):
    ticket, lead = _refused(users, refused_by="admin")
    dispute = dispute_return(assignment=lead, by=users["water_handler"], reason="现场确认为供热管道")
    with pytest.raises(NotPermitted) as same:
        rule_return_dispute(dispute=dispute, by=users["admin"], overturn=True, ruling="同意退回")
    assert same.value.code == "same_person_rules_twice"


def test_a_confirmed_refusal_leaves_the_ticket_with_the_unit_AR_5(users):
    ticket, lead = _refused(users)
    dispute = dispute_return(assignment=lead, by=users["water_handler"], reason="现场确认为供热管道")
    rule_return_dispute(dispute=dispute, by=users["admin"], overturn=False, ruling="漏水点确属供水管段")
    lead.refresh_from_db()
    assert lead.is_active and lead.state == Assignment.State.ASSIGNED
    assert ReturnDispute.objects.get(pk=dispute.pk).state == ReturnDispute.State.CONFIRMED
    assert events(ticket)[-1] == "confirm_refusal_on_dispute"
    with pytest.raises(RuleViolation):
        rule_return_dispute(dispute=dispute, by=users["admin"], overturn=True, ruling="改判")


def test_the_dispute_pages_scope_the_unit_and_the_second_ruler_AR_5(users, as_user):
    ticket, lead = _refused(users)
    water = as_user("water_handler")
    assert 'href="/desks/returns/"' in water.get(f"/w/t/{ticket.number}/").content.decode()  # where to dispute
    assert ticket.number in water.get("/desks/returns/").content.decode()
    assert ticket.number not in as_user("heating_handler").get("/desks/returns/").content.decode()
    heating = as_user("heating_handler").post("/desks/returns/", {"assignment": lead.pk, "reason": "不是我们的"})
    assert heating.status_code == 404  # another unit's return
    assert water.post("/desks/returns/", {"assignment": lead.pk, "reason": ""}).status_code == 400
    assert water.post("/desks/returns/", {"assignment": lead.pk, "reason": "现场确认为供热管道"}).status_code == 302
    dispute = ReturnDispute.objects.get(assignment=lead)
    assert "对退单驳回提出争议" in water.get(f"/w/t/{ticket.number}/").content.decode()  # in the unit's history
    assert water.post("/desks/returns/", {"assignment": lead.pk, "reason": "再次申请改判"}).status_code == 409

    first = as_user("city_dispatcher")  # made the first ruling, and is no administrator: no form, 403 on post
    assert ticket.number in first.get("/desks/disputes/").content.decode()
    assert 'action="/desks/disputes/' not in first.get("/desks/disputes/").content.decode()
    assert (
        first.post(f"/desks/disputes/{dispute.pk}/rule/", {"decision": "overturn", "ruling": "同意退回"}).status_code
        == 403
    )
    assert as_user("ruzhou_dispatcher").post(f"/desks/disputes/{dispute.pk}/rule/", {}).status_code == 404
    assert as_user("water_handler").get("/desks/disputes/").status_code == 403
    admin = as_user("admin")
    assert f'action="/desks/disputes/{dispute.pk}/rule/"' in admin.get("/desks/disputes/").content.decode()
    resp = admin.post(f"/desks/disputes/{dispute.pk}/rule/", {"decision": "overturn", "ruling": "经核实属供热管道"})
    assert resp.status_code == 302
    assert 'href="/desks/returns/"' not in water.get(f"/w/t/{ticket.number}/").content.decode()
    history = admin.get(f"/desks/t/{ticket.number}/").content.decode()
    assert "经核实属供热管道" in history and "现场确认为供热管道" in history
