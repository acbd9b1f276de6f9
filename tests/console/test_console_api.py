"""The console's API: suggestions while typing, the screen pop, a call that becomes a ticket or adds its
caller to an open one, transfers, three-way and outbound calls, the wall's figures, and who may use it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from console.models import CallRecord, CallTicket, LeaderBooking, Seat
from console.pbx import SimulatedPbx
from console.services import CtiEvent, record_cti_event
from dispatch.models import Ticket, TicketEvent
from tests.helpers import CHANGQING, RUZHOU, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
SEWER = "长青社区3号楼下水道堵了，污水溢到路面上，已经两天了"


def ring(call_id: str = "c-1", extension: str = "8001", caller: str = PHONE, answered: bool = True) -> CallRecord:
    call = record_cti_event(CtiEvent("ringing", call_id, caller=caller, extension=extension))
    if answered:
        call = record_cti_event(CtiEvent("answered", call_id, extension=extension))
    return call


def ticket_body(**extra) -> dict:
    lon, lat = label(CHANGQING)
    return {
        "description": SEWER,
        "caller_name": "李先生",
        "caller_phone": PHONE,
        "kind": "complaint",
        "category": "0101",
        "lon": lon,
        "lat": lat,
        **extra,
    }


def test_suggestions_while_typing_give_category_unit_and_why(seats, trained, as_user):
    """[AS-1] the category with its alternatives, and the unit that would get it with the routing's why."""
    lon, lat = label(CHANGQING)
    r = as_user("city_calltaker").post(
        "/api/intake/suggest", {"text": SEWER, "lon": lon, "lat": lat}, content_type="application/json"
    )
    assert r.status_code == 200
    s = r.json()
    assert [c["code"] for c in s["categories"]][0] == "0101"
    assert len(s["categories"]) == 3 and {"code", "name", "top", "score"} <= set(s["categories"][0])
    assert s["categories"][0]["top"] == "城市管理"
    why = s["route"]["units"][0]["why"]
    assert any(tag in why for tag in ("[AS-1]", "[ORG-5]")), why
    assert s["place"]["inside_city"] and "长青社区" in s["place"]["label"]
    assert s["referral"] is None


def test_a_consultation_gets_knowledge_base_answers(seats, trained, as_user):
    """[IN-5] the knowledge base answers a consultation while the call-taker types."""
    r = as_user("city_calltaker").post(
        "/api/intake/suggest", {"text": "请问居住证怎么办理"}, content_type="application/json"
    )
    assert any("居住证" in k["question"] for k in r.json()["knowledge"])


def test_an_emergency_is_suggested_for_transfer_never_refused(seats, trained, as_user):
    """[IN-4][CT-2] a keyword suggests the transfer; a person confirms it; nothing is refused by itself."""
    client = as_user("city_calltaker")
    r = client.post("/api/intake/suggest", {"text": "楼下着火了，浓烟很大"}, content_type="application/json")
    referral = r.json()["referral"]
    assert referral["reason"] == "emergency" and referral["confirm"] is True
    assert referral["transfer"][0]["line"] == "119"
    assert not Ticket.objects.filter(description__contains="楼下着火了").exists()
    call = ring()
    r = client.post(f"/api/console/calls/{call.call_id}/transfer", {"line": "119"}, content_type="application/json")
    assert r.status_code == 200
    call.refresh_from_db()
    assert call.transferred_to == "119" and call.transferred_at is not None
    assert SimulatedPbx.sent[-1].action == "transfer" and SimulatedPbx.sent[-1].number == "119"
    r = client.post(f"/api/console/calls/{call.call_id}/transfer", {"line": "999"}, content_type="application/json")
    assert r.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 2001},
        {"text": "路灯坏了", "lon": 113.2},
        {"text": "路灯坏了", "lon": "NaN", "lat": 1},
    ],
)
def test_a_bad_suggestion_request_is_a_400(seats, as_user, body):
    r = as_user("city_calltaker").post("/api/intake/suggest", body, content_type="application/json")
    assert r.status_code == 400


def test_similar_open_tickets_are_offered_and_linking_adds_the_caller_instead_of_a_duplicate(seats, trained, as_user):
    """The same problem already open nearby: the call is linked to it, no second ticket; the call's record
    and the ticket's history both say so."""
    first = make_ticket(code=CHANGQING, category="0101", description=SEWER, caller_phone="13700000001")
    client = as_user("city_calltaker")
    lon, lat = label(CHANGQING)
    s = client.post(
        "/api/intake/suggest",
        {"text": "长青社区3号楼下水道又堵了，污水漫到路上", "lon": lon, "lat": lat},
        content_type="application/json",
    ).json()
    assert first.number in [t["number"] for t in s["similar"]]
    match = next(t for t in s["similar"] if t["number"] == first.number)
    assert match["same_category"] and match["same_community"]
    before = Ticket.objects.count()
    call = ring()
    r = client.post(
        f"/api/console/calls/{call.call_id}/link", {"ticket": first.number}, content_type="application/json"
    )
    assert r.status_code == 200
    assert Ticket.objects.count() == before
    assert CallTicket.objects.get(call=call).relation == "linked"
    event = TicketEvent.objects.get(ticket=first, action="caller_linked")
    assert event.data == {"call_id": call.call_id, "caller": "139****5678"}  # masked in the history [IN-2]
    # the next call from this number pops the linked ticket
    history = client.get(f"/api/console/caller?phone={PHONE}").json()
    assert first.number in [t["number"] for t in history["tickets"]]


def test_linking_to_a_ticket_outside_the_scope_is_a_404(seats, as_user):
    """The 汝州 call-taker sees only 汝州's tickets: another county's ticket does not exist for them."""
    other = make_ticket(code=XIATANG, category="0101")
    call = ring("c-rz", extension="8101")
    r = as_user("ruzhou_calltaker").post(
        f"/api/console/calls/{call.call_id}/link", {"ticket": other.number}, content_type="application/json"
    )
    assert r.status_code == 404


def test_the_screen_pop_lists_open_tickets_first_and_flags_a_repeat_caller(seats, as_user):
    """[SV-2] still unresolved more than 6 days after the first call, and calling again: a repeat caller."""
    old = make_ticket(code=CHANGQING, caller_phone=PHONE, received_at=timezone.now() - dt.timedelta(days=9))
    done = make_ticket(
        code=CHANGQING, kind="consultation", category="2501", description="请问居住证怎么办理", caller_phone=PHONE
    )
    assert done.status == "archived"
    pop = as_user("city_calltaker").get(f"/api/console/caller?phone=+86{PHONE}").json()
    numbers = [t["number"] for t in pop["tickets"]]
    assert numbers.index(old.number) < numbers.index(done.number)
    assert pop["repeat"] and pop["repeat_why"] == "unresolved"
    assert as_user("city_calltaker").get("/api/console/caller?phone=12").status_code == 400


def test_a_sub_center_call_taker_sees_only_their_county(seats, as_user):
    mine = make_ticket(code=None, lon=label(RUZHOU)[0], lat=label(RUZHOU)[1], caller_phone=PHONE)
    theirs = make_ticket(code=CHANGQING, caller_phone=PHONE)
    pop = as_user("ruzhou_calltaker").get(f"/api/console/caller?phone={PHONE}").json()
    numbers = [t["number"] for t in pop["tickets"]]
    assert mine.number in numbers and theirs.number not in numbers


def test_a_call_becomes_a_dispatched_ticket_recorded_on_the_call(seats, as_user):
    """One key: intake with channel phone, placed and routed at once [AS-1]; the call keeps the ticket."""
    call = ring()
    client = as_user("city_calltaker")
    client.put(
        f"/api/console/calls/{call.call_id}/draft",
        {"draft": {"description": "下水道"}},
        content_type="application/json",
    )
    assert CallRecord.objects.get(pk=call.pk).draft == {"description": "下水道"}
    r = client.post(
        "/api/console/tickets", ticket_body(call_id=call.call_id, idempotency_key="k1"), content_type="application/json"
    )
    assert r.status_code == 201, r.json()
    number = r.json()["number"]
    ticket = Ticket.objects.get(number=number)
    assert (
        ticket.channel == "phone" and ticket.status == "dispatched" and ticket.created_by.username == "city_calltaker"
    )
    assert r.json()["units"]
    link = CallTicket.objects.get(call=call)
    assert (link.ticket_id, link.relation) == (ticket.id, "created")
    assert CallRecord.objects.get(pk=call.pk).draft == {}
    # the same form sent twice (a double key press) is the same ticket
    again = client.post(
        "/api/console/tickets", ticket_body(call_id=call.call_id, idempotency_key="k1"), content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["number"] == number


def test_a_province_assigned_ticket_keeps_its_source_number(seats, as_user):
    """[CT-5] a ticket the province hotline assigned enters with its number; the same number again is the same ticket."""
    client = as_user("city_calltaker")
    first = client.post(
        "/api/console/tickets", ticket_body(province_number="HN12345-2026-0815"), content_type="application/json"
    )
    assert first.status_code == 201
    ticket = Ticket.objects.get(number=first.json()["number"])
    assert ticket.extra["province_number"] == "HN12345-2026-0815" and ticket.extra["source"] == "province_12345"
    again = client.post(
        "/api/console/tickets", ticket_body(province_number="HN12345-2026-0815"), content_type="application/json"
    )
    assert again.json()["number"] == ticket.number
    bad = client.post("/api/console/tickets", ticket_body(province_number="<script>"), content_type="application/json")
    assert bad.status_code == 400 and "province_number" in bad.json()


def test_a_ticket_taken_at_the_leaders_seat_is_a_focus_case(seats, as_user):
    """[CT-4][SV-3] tickets a leader takes on the line are marked and supervised as focus cases."""
    call = ring("c-leader", extension="8009")
    assert call.leader_answered
    r = as_user("city_leader").post(
        "/api/console/tickets", ticket_body(call_id=call.call_id), content_type="application/json"
    )
    assert "leader_answered" in Ticket.objects.get(number=r.json()["number"]).focus_reasons


def test_a_call_of_another_seat_is_not_mine(seats, as_user):
    call = ring("c-other", extension="8002")
    r = as_user("city_calltaker").post(
        "/api/console/tickets", ticket_body(call_id=call.call_id), content_type="application/json"
    )
    assert r.status_code == 404


def test_click_to_call_the_unit_and_bring_it_into_the_call(seats, as_user):
    """[CT-3] the unit's three-fixed number; [CT-1] outbound and three-way calls go to the PBX."""
    ticket = make_ticket(code=CHANGQING)
    lead = ticket.assignments.get(role="lead").office
    client = as_user("city_calltaker")
    r = client.post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "unit"}, content_type="application/json"
    )
    assert r.status_code == 201
    sent = SimulatedPbx.sent[-1]
    assert (sent.action, sent.extension, sent.number) == ("originate", "8001", lead.phone)
    out = CallRecord.objects.get(call_id=r.json()["call_id"])
    assert out.direction == "out" and out.ticket_links.get().ticket_id == ticket.id
    r = client.post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "caller"}, content_type="application/json"
    )
    assert r.status_code == 201 and SimulatedPbx.sent[-1].number == ticket.caller_phone
    call = ring("c-3way")
    r = client.post(
        f"/api/console/calls/{call.call_id}/three-way", {"office": lead.code}, content_type="application/json"
    )
    assert r.status_code == 200 and SimulatedPbx.sent[-1].action == "three_way"
    ended = ring("c-ended")
    record_cti_event(CtiEvent("hangup", "c-ended", extension="8001"))
    r = client.post(
        f"/api/console/calls/{ended.call_id}/three-way", {"office": lead.code}, content_type="application/json"
    )
    assert r.status_code == 422


def test_an_agent_without_a_seat_cannot_call_out(seats, as_user):
    ticket = make_ticket(code=CHANGQING)
    r = as_user("city_dispatcher").post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "unit"}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["code"] == "no_seat"


def test_the_wall_counts_waiting_answered_and_agents(seats, as_user):
    ring("w-1")
    ring("w-2", answered=False)
    record_cti_event(CtiEvent("ringing", "w-3", caller=PHONE, extension="8002"))
    record_cti_event(CtiEvent("hangup", "w-3", extension="8002"))
    Seat.objects.filter(extension="8001").update(signed_in_at=timezone.now())
    w = as_user("wall_viewer").get("/api/console/wall").json()
    assert (w["waiting"], w["answered_today"], w["missed_today"], w["agents_on_seat"]) == (1, 1, 1, 1)
    assert w["answer_rate"] == 0.5
    # the 汝州 sub-center counts its own calls only
    assert as_user("ruzhou_calltaker").get("/api/console/wall").json()["answered_today"] == 0


def test_a_caller_is_booked_for_the_leaders_answering_day(seats, as_user):
    """[CT-4] the schedule of leaders' days, and a booking taken by phone; the 汝州 sub-center books only its own."""
    days = as_user("city_calltaker").get("/api/console/leader-days/").json()
    assert days and days[0]["leader"] == "王建华" and days[0]["bookings"] == 0
    day_id = days[0]["id"]
    r = as_user("city_calltaker").post(
        f"/api/console/leader-days/{day_id}/bookings",
        {"caller_phone": "+86 13912345678", "caller_name": "李先生", "topic": "小区供暖不热"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert LeaderBooking.objects.get(pk=r.json()["id"]).caller_phone == PHONE
    assert as_user("city_calltaker").get("/api/console/leader-days/").json()[0]["bookings"] == 1
    assert as_user("ruzhou_calltaker").get("/api/console/leader-days/").json() == []
    r = as_user("ruzhou_calltaker").post(
        f"/api/console/leader-days/{day_id}/bookings",
        {"caller_phone": PHONE, "topic": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404
    bad = as_user("city_calltaker").post(
        f"/api/console/leader-days/{day_id}/bookings", {"caller_phone": "1"}, content_type="application/json"
    )
    assert bad.status_code == 400 and {"caller_phone", "topic"} <= set(bad.json())


CONSOLE_ROUTES = [
    ("get", "/center/", None),
    ("post", "/api/intake/suggest", {"text": "路灯坏了"}),
    ("get", f"/api/console/caller?phone={PHONE}", None),
    ("get", "/api/console/calls/", None),
    ("put", "/api/console/calls/c-1/draft", {"draft": {}}),
    ("post", "/api/console/calls/c-1/link", {"ticket": "PDS-1"}),
    ("post", "/api/console/calls/c-1/transfer", {"line": "110"}),
    ("post", "/api/console/calls/c-1/three-way", {"office": "DEPT-water"}),
    ("post", "/api/console/tickets", {"description": "路灯坏了"}),
    ("post", "/api/console/outbound", {"ticket": "PDS-1", "target": "unit"}),
    ("get", "/api/console/wall", None),
    ("get", "/api/console/leader-days/", None),
    ("post", "/api/console/leader-days/1/bookings", {"caller_phone": PHONE, "topic": "供暖"}),
]


@pytest.mark.parametrize("method,path,body", CONSOLE_ROUTES)
def test_a_grid_worker_gets_403_on_the_console_and_its_apis(seats, as_user, method, path, body):
    client = as_user("changqing_grid")
    r = (
        getattr(client, method)(path, body, content_type="application/json")
        if body is not None
        else getattr(client, method)(path)
    )
    assert r.status_code == 403
