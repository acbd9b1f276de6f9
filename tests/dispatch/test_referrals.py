"""Referrals [IN-4][CT-2]: a refusal rule suggests, a person decides; an emergency is transferred and linked."""

from __future__ import annotations

import pytest

from dispatch.models import EmergencyTransfer, Status, Ticket
from tests.helpers import events, make_ticket

pytestmark = pytest.mark.django_db

FIRE_LANE = "上周楼道着火后消防通道一直堵着"


def act(client, ticket, action, **body):
    return client.post(f"/api/tickets/{ticket.number}/{action}/", body, content_type="application/json")


def test_a_blocked_fire_lane_after_last_weeks_fire_is_not_refused_with_a_119_referral_IN_4(as_user):
    """[IN-4] "着火" is in the text but this is no emergency: the rule's suggestion waits for a person, who
    dispatches it as the fire-lane matter it is."""
    t = make_ticket(description=FIRE_LANE, category="0101")
    assert t.status == Status.PENDING_DISPATCH and t.refusal_reason == "" and t.referral == ""
    assert t.extra["suggested_refusal"] == {
        "reason": "emergency",
        "referral": "请立即拨打119火警电话",
        "keyword": "着火",
    }
    assert not EmergencyTransfer.objects.filter(ticket=t).exists()
    resp = act(as_user("city_dispatcher"), t, "dispatch", lead="DEPT-urban-management", note="消防通道堵塞，非紧急警情")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["status"] == "dispatched"


def test_a_dispatcher_confirms_a_suggested_emergency_and_it_is_transferred_with_a_link_IN_4_CT_2(as_user):
    """[IN-4] the dispatcher confirms the suggestion; [CT-2] the ticket is handed to 119 and the link kept."""
    t = make_ticket(description="长青社区19号楼三楼着火了，浓烟很大")
    assert t.status == Status.PENDING_DISPATCH
    handler = as_user("changqing_head")
    assert act(handler, t, "confirm-refusal").status_code in (403, 404)  # a center's judgement
    body = act(as_user("city_dispatcher"), t, "confirm-refusal", note="已转接119").json()
    assert body["status"] == "refused" and body["refusal"]["reason"] == "emergency"
    t = Ticket.objects.get(pk=t.pk)
    assert "119" in t.referral
    (link,) = EmergencyTransfer.objects.filter(ticket=t)
    assert link.line == "119" and link.transferred_by.username == "city_dispatcher" and "119" in link.referral
    assert events(t) == ["queue_for_dispatch", "confirm_refusal"]
    assert t.events.get(action="confirm_refusal").data["transfer"] == "119"


def test_a_dispatcher_may_refuse_for_another_reason_than_suggested_and_validation_is_a_400_IN_4(as_user):
    t = make_ticket(description="我想查询他人的住址和电话")
    client = as_user("city_dispatcher")
    assert act(client, t, "confirm-refusal", reason="boring").status_code == 400
    assert act(client, t, "confirm-refusal", transfer_to="999").status_code == 400
    body = act(client, t, "confirm-refusal", reason="legal_process").json()
    assert body["status"] == "refused" and body["refusal"]["reason"] == "legal_process"
    assert not EmergencyTransfer.objects.filter(ticket=t).exists()
    assert act(client, t, "confirm-refusal").status_code == 409  # already refused


def test_the_call_taker_transfers_an_emergency_at_intake_with_the_line_chosen_CT_2(users):
    """[CT-2] a call-taker who judges it an emergency refuses and hands it over in one step."""
    t = make_ticket(
        description="邻居老人在楼道晕倒了，叫不醒",
        refuse_reason="emergency",
        transfer_to="120",
        by=users["city_dispatcher"],
    )
    assert t.status == Status.REFUSED and "120" in t.referral
    (link,) = EmergencyTransfer.objects.filter(ticket=t)
    assert link.line == "120" and link.transferred_by == users["city_dispatcher"]


def test_an_imported_row_with_a_refusal_phrase_is_queued_not_refused_IN_4(tmp_path, users):
    """[IN-4] the bulk import (COPY path) follows the same rule: suggestions go to the manual queue."""
    from loaders.importer import import_rows

    rows = [
        {
            "channel": "phone",
            "kind": "complaint",
            "description": FIRE_LANE,
            "category": "0101",
            "caller_name": "李强",
            "caller_phone": "13812341234",
            "external_id": "imp-fire-lane-1",
        }
    ]
    report = import_rows(rows, source_key="fire-lane", by=users["city_dispatcher"])
    t = Ticket.objects.get(external_id="imp-fire-lane-1")
    assert t.status == Status.PENDING_DISPATCH and t.extra["suggested_refusal"]["reason"] == "emergency"
    assert report.refused == 0 and report.queued == 1
