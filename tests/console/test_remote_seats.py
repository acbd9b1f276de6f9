"""[CT-1] Remote seats (远端座席): a leader's seat away from the center, reached through a SIP URI. The PBX's
events ring it like any seat (only its agent's console hears), and a call placed from it rings the URI."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction

from console.models import CallRecord, Seat
from console.pbx import SimulatedPbx
from tests.helpers import CHANGQING, make_ticket

from .test_cti import _in_the_test_transaction, connect, event, post, received  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

URI = "sip:8009@leader-home.pds.example"


@pytest.fixture
def remote(seats) -> Seat:
    seat = Seat.objects.get(extension="8009")  # city_leader's seat
    seat.kind, seat.dial_target = Seat.Kind.REMOTE, URI
    seat.save()
    return seat


def test_the_pbx_rings_a_remote_seat_like_any_seat(remote, pbx_token, django_capture_on_commit_callbacks):
    async def scenario():
        leader = await connect("city_leader")
        desk = await connect("city_calltaker")

        def ring():
            with django_capture_on_commit_callbacks(execute=True):
                return post(pbx_token, event("ringing", call_id="c-remote", extension="8009"))

        from channels.db import database_sync_to_async

        r = await database_sync_to_async(ring)()
        assert r.status_code == 202 and r.json()["delivered_to_seat"]
        got = await received(leader)
        assert [(m["type"], m["extension"], m["leader"]) for m in got] == [("call.ringing", "8009", True)]
        assert await received(desk) == []
        await leader.disconnect()
        await desk.disconnect()

    async_to_sync(scenario)()
    call = CallRecord.objects.get(call_id="c-remote")
    assert call.seat.kind == "remote" and call.agent.username == "city_leader" and call.leader_answered


def test_a_call_from_a_remote_seat_rings_its_sip_uri(remote, as_user):
    ticket = make_ticket(code=CHANGQING)
    r = as_user("city_leader").post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "caller"}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    sent = SimulatedPbx.sent[-1]
    assert (sent.action, sent.extension, sent.number) == ("originate", URI, ticket.caller_phone)
    # a desk seat still rings its extension
    as_user("city_calltaker").post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "caller"}, content_type="application/json"
    )
    assert SimulatedPbx.sent[-1].extension == "8001"


def test_a_remote_seat_needs_a_dial_target(seats):
    seat = Seat.objects.get(extension="8002")
    seat.kind = Seat.Kind.REMOTE
    with pytest.raises(IntegrityError), transaction.atomic():
        seat.save()
