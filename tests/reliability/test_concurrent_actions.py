"""Two people acting on one ticket at the same moment, through the HTTP API, on real parallel
database connections (one thread and connection each, released together by a barrier): every
racing pair the workflow allows ends in exactly one valid state, with one event per transition
and a history whose every step starts where the previous one ended; the loser, when there is
one, gets a 409 whose message says why [HD-1][HD-2][HD-3][AS-3][SLA-3][CB-1][AS-1].

The service-level races (idempotent intake, two supervisors) are in
tests/dispatch/test_concurrency.py, whose helpers this file uses: the threads commit, so each
test removes its own tickets.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from dispatch import services
from dispatch.models import ExtensionRequest, Reply, Ticket, TicketEvent
from grid.models import User
from tests.dispatch import test_concurrency
from tests.dispatch.test_concurrency import committed, intake, run_in_threads
from tests.helpers import WATER_REPLY, make_ticket

pytestmark = pytest.mark.django_db
cleanup = test_concurrency.cleanup  # the fixture that deletes the tickets the threads committed

REPLY = dict(WATER_REPLY)
EXTENSION = {"days": 3, "reason": "需协调管网施工单位，停水抢修需更多时间", "signed_off_by": "供水公司 孙经理"}


def user(name: str) -> User:
    return User.objects.get(username=name)


def race(*calls: tuple[str, str, str, dict]) -> list:
    """Each (username, ticket number, action, body) posted from its own thread and connection, at once."""

    def login(username):
        client = Client()
        client.force_login(user(username))  # committed, so the threads' connections see the session
        return client

    prepared = [
        (committed(lambda u=username: login(u)), f"/api/tickets/{number}/{action}/", body)
        for username, number, action, body in calls
    ]
    return run_in_threads(
        lambda i: prepared[i][0].post(prepared[i][1], json.dumps(prepared[i][2]), content_type="application/json"),
        len(calls),
    )


def outcome(responses) -> list[int]:
    for r in responses:
        assert not isinstance(r, Exception), r
    return sorted(r.status_code for r in responses)


def loser(responses):
    """The 409, which must say why in words (detail) and in a stable code."""
    lost = next(r for r in responses if r.status_code == 409)
    body = lost.json()
    assert body["detail"].strip() and re.fullmatch(r"[a-z_]+", body["code"]), body
    return lost


def history(ticket: Ticket) -> list[tuple[str, str, str]]:
    return committed(
        lambda: list(
            TicketEvent.objects.filter(ticket_id=ticket.pk)
            .order_by("id")
            .values_list("action", "from_status", "to_status")
        )
    )


def assert_history_is_a_chain(ticket: Ticket) -> None:
    log = history(ticket)
    for (_a, _f, to), (action, frm, _t) in zip(log, log[1:]):
        assert frm == to, f"{action} starts from {frm!r}, but the previous event ended in {to!r}: {log}"


def count(ticket: Ticket, action: str) -> int:
    return sum(1 for a, _f, _t in history(ticket) if a == action)


def final(ticket: Ticket) -> Ticket:
    return committed(lambda: Ticket.objects.get(pk=ticket.pk))


@pytest.fixture
def water(cleanup):
    """A water outage in 长青社区, led by the water company (no co-handler)."""
    ticket = committed(lambda: intake(category="0801", description="长青社区停水一整天了没有通知"))
    cleanup.append(ticket.number)
    return ticket


@pytest.fixture
def signed_water(water):
    committed(lambda: services.sign_for(ticket=water, by=user("water_handler")))
    committed(lambda: services.contact_caller(ticket=water, by=user("water_handler"), note="电话联系诉求人"))  # [HD-1]
    return water


@pytest.fixture
def replied_water(signed_water):
    committed(lambda: services.reply(ticket=signed_water, by=user("water_handler"), **REPLY))
    return signed_water


def test_the_same_office_signing_twice_at_once_signs_once_HD_1(water):
    responses = race(("water_handler", water.number, "sign-for", {}), ("water_handler", water.number, "sign-for", {}))
    assert outcome(responses) == [200, 409]
    assert loser(responses).json()["code"] == "already_signed"
    assert count(water, "sign_for") == 1 and final(water).status == "in_progress"
    assert_history_is_a_chain(water)


def test_the_lead_replying_twice_at_once_replies_once_HD_2(signed_water):
    t = signed_water
    responses = race(("water_handler", t.number, "reply", REPLY), ("water_handler", t.number, "reply", REPLY))
    assert outcome(responses) == [200, 409]
    assert loser(responses).json()["detail"]
    assert count(t, "reply") == 1 and committed(lambda: Reply.objects.filter(ticket_id=t.pk).count()) == 1
    assert final(t).status == "replied"
    assert_history_is_a_chain(t)


def test_returning_and_replying_at_once_do_one_or_the_other_AS_3_HD_2(signed_water):
    t = signed_water
    back = {"reason": "不属于供水范围，是小区二次供水设施", "suggested_office": "TC-410402002"}
    responses = race(("water_handler", t.number, "return", back), ("water_handler", t.number, "reply", REPLY))
    assert outcome(responses) == [200, 409]
    end = final(t)
    assert (end.status, count(t, "request_return"), count(t, "reply")) in {
        ("return_requested", 1, 0),
        ("replied", 0, 1),
    }
    assert loser(responses).json()["detail"]
    assert_history_is_a_chain(t)


def test_the_center_accepting_and_sending_back_at_once_does_one_HD_3(replied_water):
    t = replied_water
    responses = race(
        ("city_dispatcher", t.number, "accept-reply", {"note": "答复完整"}),
        ("city_dispatcher", t.number, "send-back", {"note": "缺少处理依据"}),
    )
    assert outcome(responses) == [200, 409]
    end = final(t)
    assert (end.status, count(t, "accept_reply"), count(t, "send_back")) in {
        ("closed", 1, 0),
        ("in_progress", 0, 1),
    }
    assert loser(responses).json()["code"] == "state_forbids"
    assert_history_is_a_chain(t)


def test_two_reviewers_accepting_at_once_close_once_and_send_one_callback_sms_HD_3_CB_1(replied_water):
    t = replied_water
    responses = race(
        ("city_dispatcher", t.number, "accept-reply", {}), ("city_dispatcher", t.number, "accept-reply", {})
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses).json()["code"] == "state_forbids"
    assert count(t, "accept_reply") == 1 and final(t).status == "closed"
    from dispatch.models import OutboundMessage

    assert committed(lambda: OutboundMessage.objects.filter(ticket_id=t.pk, purpose="callback").count()) <= 1
    assert_history_is_a_chain(t)


def test_two_callbacks_recorded_at_once_record_one_satisfaction_CB_1(replied_water):
    t = replied_water
    committed(lambda: services.accept_reply(ticket=t, by=user("city_dispatcher")))
    responses = race(
        ("city_dispatcher", t.number, "callback", {"channel": "phone", "satisfaction": "satisfied"}),
        ("city_dispatcher", t.number, "callback", {"channel": "phone", "satisfaction": "unsatisfied"}),
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses)
    winner = next(r for r in responses if r.status_code == 200).json()
    assert final(t).satisfaction == winner["satisfaction"]
    assert count(t, "manual_callback") == 1
    assert_history_is_a_chain(t)


def test_asking_for_an_extension_twice_at_once_asks_once_SLA_3(signed_water):
    t = signed_water
    responses = race(
        ("water_handler", t.number, "request-extension", EXTENSION),
        ("water_handler", t.number, "request-extension", EXTENSION),
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses)
    assert committed(lambda: ExtensionRequest.objects.filter(ticket_id=t.pk).count()) == 1
    assert count(t, "request_extension") == 1
    assert_history_is_a_chain(t)


def test_approving_and_refusing_an_extension_at_once_decides_once_SLA_3(signed_water):
    t = signed_water
    committed(lambda: services.request_extension(ticket=t, by=user("water_handler"), **EXTENSION))
    before = final(t).resolve_by
    responses = race(
        ("city_dispatcher", t.number, "approve-extension", {}),
        ("city_dispatcher", t.number, "refuse-extension", {"note": "理由不充分"}),
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses)
    approved, refused = count(t, "approve_extension"), count(t, "refuse_extension")
    assert approved + refused == 1
    moved = final(t).resolve_by - before
    assert moved.days == (3 if approved else 0)
    assert_history_is_a_chain(t)


@pytest.fixture
def returned_heating(cleanup):
    """A heating ticket its lead (the heating company) has asked to return to the water company."""
    t = committed(lambda: intake(category="0701", description="长青社区暖气管道漏水"))
    cleanup.append(t.number)
    committed(lambda: services.sign_for(ticket=t, by=user("heating_handler")))
    committed(
        lambda: services.request_return(
            ticket=t, by=user("heating_handler"), reason="是自来水管漏水，不是暖气", suggested_office="DEPT-water"
        )
    )
    return t


def test_approving_and_refusing_a_return_at_once_decides_once_AS_3(returned_heating):
    t = returned_heating
    responses = race(
        ("city_dispatcher", t.number, "approve-return", {"office": "DEPT-water"}),
        ("city_dispatcher", t.number, "refuse-return", {"note": "经核实为供热管道"}),
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses)
    assert count(t, "approve_return") + count(t, "refuse_return") == 1
    assert final(t).status in ("dispatched", "in_progress")
    assert_history_is_a_chain(t)


def test_two_dispatchers_dispatching_a_queued_ticket_at_once_dispatch_once_AS_1(cleanup):
    t = committed(lambda: make_ticket(code=None, description="有市民反映情况但没有说清楚在哪里"))
    cleanup.append(t.number)
    assert final(t).status == "pending_dispatch"
    responses = race(
        ("city_dispatcher", t.number, "dispatch", {"lead": "DEPT-water"}),
        ("city_dispatcher", t.number, "dispatch", {"lead": "DEPT-heating"}),
    )
    assert outcome(responses) == [200, 409]
    assert loser(responses)
    assert count(t, "dispatch") == 1 and final(t).status == "dispatched"
    leads = committed(
        lambda: list(t.assignments.filter(is_active=True, role="lead").values_list("office__code", flat=True))
    )
    assert len(leads) == 1
    assert_history_is_a_chain(t)


def test_a_return_and_the_co_handler_signing_at_once_both_count_AS_2_AS_3(cleanup):
    """Different offices' actions do not exclude each other: both succeed, in some order."""
    t = committed(lambda: intake(category="0701", description="长青社区19号楼暖气管道漏水，楼道里全是水"))
    cleanup.append(t.number)
    committed(lambda: services.sign_for(ticket=t, by=user("heating_handler")))
    back = {"reason": "是自来水管漏水", "suggested_office": "DEPT-water"}
    responses = race(("heating_handler", t.number, "return", back), ("guangminglu_handler", t.number, "sign-for", {}))
    assert outcome(responses) == [200, 200]
    assert final(t).status == "return_requested"
    assert count(t, "request_return") == 1 and count(t, "sign_for") == 2
    assert_history_is_a_chain(t)
