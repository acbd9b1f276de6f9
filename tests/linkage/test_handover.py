"""[CT-2] A ticket handed over to a linked system (工单互转): recorded in the outbox by default, or posted
to the linked system's endpoint with an idempotency key and retries; on the ticket, in its history, and
only by the ticket's center."""

from __future__ import annotations

import pytest

from console.models import CallRecord
from console.services import CtiEvent, record_cti_event
from dispatch.models import TicketEvent
from linkage.models import HandOver
from tests.helpers import CHANGQING, RUZHOU, make_ticket

pytestmark = pytest.mark.django_db

FIRE = "长青社区3号楼一楼商铺着火了，有人被困"


def post(client, body):
    return client.post("/api/linkage/handovers", body, content_type="application/json")


def test_emergency_ticket_is_handed_over_to_119_and_kept_in_the_outbox(seats, as_user, users):
    """[CT-2] the default backend records the hand-over: who, when, which line, the call, the payload."""
    call = record_cti_event(CtiEvent("ringing", "c-fire", caller="13912345678", extension="8001"))
    ticket = make_ticket(code=CHANGQING, description=FIRE, refuse_reason="emergency", transfer_to="119")
    r = post(
        as_user("city_calltaker"), {"ticket": ticket.number, "line": "119", "note": "被困1人", "call_id": call.call_id}
    )
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["line"] == "119" and d["state"] == "outbox" and d["their_reference"] == ""
    h = HandOver.objects.get(pk=d["id"])
    assert h.by == users["city_calltaker"] and h.call_id == "c-fire" and h.direction == "out"
    assert h.payload["ticket"]["number"] == ticket.number and h.payload["ticket"]["description"] == FIRE
    assert h.payload["ticket"]["caller_phone"] == "13812341234"  # the linked system acts on it
    assert h.idempotency_key.startswith("HO-") and h.backend == "linkage.backends.OutboxBackend"
    event = TicketEvent.objects.get(ticket=ticket, action="handed_over")
    assert "119" in event.note and event.data["line"] == "119"


def test_http_backend_posts_the_ticket_and_keeps_the_reference(seats, as_user, fake_110):
    """[CT-2] the HTTP JSON adapter: the documented payload, its bearer token and idempotency key; the
    linked system's reference goes on the hand-over and into the ticket's history."""
    ticket = make_ticket(code=CHANGQING, description="小区门口有人持刀打架")
    r = post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "110"})
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "accepted" and r.json()["their_reference"] == "JJ-0001"
    (got,) = fake_110.received
    assert got["headers"]["Authorization"] == "Bearer secret-to-110"
    h = HandOver.objects.get(pk=r.json()["id"])
    assert got["headers"]["Idempotency-Key"] == h.idempotency_key == got["body"]["handover_id"]
    assert got["body"]["line"] == "110" and got["body"]["ticket"]["number"] == ticket.number
    assert got["body"]["from"]["agent"] and got["body"]["ticket"]["lon"] is not None
    assert TicketEvent.objects.filter(ticket=ticket, action="handover_answered", data__reference="JJ-0001").exists()


def test_http_backend_retries_a_failing_system_with_the_same_key(seats, as_user, fake_110):
    fake_110.answers = [(503, {"detail": "busy"}), (502, {}), (201, {})]
    ticket = make_ticket(code=CHANGQING)
    r = post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "110"})
    assert r.status_code == 201 and r.json()["attempts"] == 3 and r.json()["their_reference"] == "JJ-0001"
    keys = {g["headers"]["Idempotency-Key"] for g in fake_110.received}
    assert len(fake_110.received) == 3 and len(keys) == 1


def test_a_refusal_by_the_linked_system_is_a_502_and_the_record_stays(seats, as_user, fake_110):
    fake_110.answers = [(400, {"detail": "address required"})]
    ticket = make_ticket(code=CHANGQING)
    client = as_user("city_calltaker")
    r = post(client, {"ticket": ticket.number, "line": "110"})
    assert r.status_code == 502 and "address required" in r.json()["detail"]
    h = HandOver.objects.get(pk=r.json()["id"])
    assert h.state == "failed" and h.attempts == 1 and len(fake_110.received) == 1  # a 4xx is not retried
    # the person retries once the linked system takes it: same key, one reference
    fake_110.answers = [(201, {})]
    r = client.post(f"/api/linkage/handovers/{h.pk}/retry")
    assert r.status_code == 200 and r.json()["state"] == "accepted" and r.json()["their_reference"]
    assert fake_110.received[-1]["headers"]["Idempotency-Key"] == h.idempotency_key
    assert client.post(f"/api/linkage/handovers/{h.pk}/retry").status_code == 422  # done: nothing to retry


def test_an_unreachable_system_fails_after_the_retries(seats, as_user, settings):
    settings.LINKAGE_BACKEND = "linkage.backends.HttpJsonBackend"
    settings.LINKAGE_ENDPOINTS = {"120": {"url": "http://127.0.0.1:9/nothing", "timeout": 1}}
    settings.LINKAGE_RETRY_BACKOFF = 0.01
    ticket = make_ticket(code=CHANGQING)
    r = post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "120"})
    assert r.status_code == 502 and r.json()["attempts"] == 3 and r.json()["state"] == "failed"
    # a line without an endpoint is recorded in the outbox
    assert post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "119"}).json()["state"] == "outbox"


def test_linked_system_answers_later_with_its_reference(seats, as_user, police_token):
    ticket = make_ticket(code=CHANGQING)
    h = HandOver.objects.get(pk=post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "110"}).json()["id"])
    url = f"/api/linkage/handovers/{h.idempotency_key}/reference"
    assert as_user("admin").post(url, {"reference": "X"}, content_type="application/json").status_code == 401
    r = as_user("admin").post(
        url, {"reference": "110-2026-77"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {police_token}"
    )
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    h.refresh_from_db()
    assert h.their_reference == "110-2026-77" and h.answered_at


def test_bad_input_is_a_clear_4xx(seats, as_user):
    ticket = make_ticket(code=CHANGQING)
    client = as_user("city_calltaker")
    r = post(client, {"ticket": ticket.number, "line": "999"})
    assert r.status_code == 422 and "110" in r.json()["detail"]
    assert post(client, {"line": "110"}).status_code == 400
    assert post(client, {"ticket": ticket.number, "line": "110", "call_id": "not-mine"}).status_code == 404
    assert not HandOver.objects.exists()


def test_grid_worker_and_another_centers_agent_may_not_hand_over(seats, as_user):
    """[CT-2] a grid worker gets 403; 汝州's call-taker does not see a city ticket (404), nor its hand-over."""
    ticket = make_ticket(code=CHANGQING)
    assert post(as_user("changqing_grid"), {"ticket": ticket.number, "line": "110"}).status_code == 403
    assert post(as_user("ruzhou_calltaker"), {"ticket": ticket.number, "line": "110"}).status_code == 404
    h = post(as_user("city_calltaker"), {"ticket": ticket.number, "line": "110"}).json()
    assert as_user("ruzhou_calltaker").post(f"/api/linkage/handovers/{h['id']}/retry").status_code == 404
    assert as_user("changqing_grid").get(f"/linkage/t/{ticket.number}/hand-over").status_code == 403
    assert as_user("ruzhou_calltaker").get(f"/linkage/t/{ticket.number}/hand-over").status_code == 404
    # 汝州's own ticket is its own to hand over
    ruzhou = make_ticket(code=RUZHOU + "001")
    if ruzhou.center and ruzhou.center.code != "CC":
        assert post(as_user("ruzhou_calltaker"), {"ticket": ruzhou.number, "line": "110"}).status_code == 201


def test_ticket_pages_show_the_hand_over_and_hand_it_over(seats, as_user):
    """[CT-2] on the ticket: the desks' page lists the hand-overs; the hand-over page hands it over."""
    ticket = make_ticket(code=CHANGQING)
    client = as_user("city_dispatcher")
    page = client.get(f"/linkage/t/{ticket.number}/hand-over")
    assert page.status_code == 200 and "110" in page.content.decode()
    r = client.post(f"/linkage/t/{ticket.number}/hand-over", {"line": "122", "note": "交通事故"})
    assert r.status_code == 302
    assert HandOver.objects.filter(ticket=ticket, system__code="122", note="交通事故", state="outbox").exists()
    bad = client.post(f"/linkage/t/{ticket.number}/hand-over", {"line": "nope", "note": "kept"})
    assert bad.status_code == 400 and "kept" in bad.content.decode()
    desk = client.get(f"/desks/t/{ticket.number}/")
    if desk.status_code == 200:  # the desk's ticket (the city center's own)
        html = desk.content.decode()
        assert 'id="linkage"' in html and "交通事故" in html
    assert CallRecord.objects.count() == 0
