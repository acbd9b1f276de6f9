"""[CT-2] 110 (or another linked system) hands a non-emergency matter to 12345 through
POST /api/linkage/tickets with its own token: the one intake (channel linkage), idempotent by the sender's
reference, the reverse link kept as a received hand-over."""

from __future__ import annotations

import pytest

from dispatch.models import Channel, Ticket
from linkage.models import HandOver, LinkedSystem
from tests.helpers import CHANGQING, label

pytestmark = pytest.mark.django_db


def matter(**extra) -> dict:
    lon, lat = label(CHANGQING)
    return {
        "reference": "110-20261205-0042",
        "kind": "complaint",
        "description": "群众报警称长青社区3号楼下水道堵塞污水外溢，非警情，转12345处理",
        "category": "0101",
        "caller_name": "张先生",
        "caller_phone": "13700001111",
        "lon": lon,
        "lat": lat,
        **extra,
    }


def send(client, body, token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/api/linkage/tickets", body, content_type="application/json", **headers)


def test_110_hands_a_non_emergency_matter_to_12345(client, police_token):
    r = send(client, matter(note="非警务求助"), police_token)
    assert r.status_code == 201, r.content
    t = Ticket.objects.get(number=r.json()["number"])
    assert t.channel == Channel.LINKAGE and t.external_id == "110-110-20261205-0042"
    assert t.extra["linked_system"] == "110" and t.extra["their_reference"] == "110-20261205-0042"
    assert t.assignments.exists(), (t.status, t.refusal_reason, t.extra)  # placed and routed [AS-1]
    h = HandOver.objects.get(ticket=t)
    assert h.direction == "in" and h.state == "received" and h.system.code == "110" and h.note == "非警务求助"
    assert LinkedSystem.objects.get(code="110").last_received_at


def test_the_same_reference_again_finds_the_first_ticket(client, police_token):
    first = send(client, matter(), police_token)
    again = send(client, matter(), police_token)
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert Ticket.objects.filter(channel=Channel.LINKAGE).count() == 1 == HandOver.objects.count()
    # the same reference with another matter is a conflict, not a second ticket
    clash = send(client, matter(description="完全不同的另一件事情，路灯不亮了"), police_token)
    assert clash.status_code == 409


def test_another_system_may_use_the_same_reference(client, police_token):
    fire = LinkedSystem.objects.get(code="119").issue_token()
    a, b = send(client, matter(), police_token), send(client, matter(), fire)
    assert a.status_code == b.status_code == 201 and a.json()["number"] != b.json()["number"]


def test_a_missing_wrong_or_revoked_token_is_a_401(client, police_token):
    assert send(client, matter(), None).status_code == 401
    r = send(client, matter(), "wrong-token")
    assert r.status_code == 401 and r["WWW-Authenticate"].startswith("Bearer")
    old = police_token
    LinkedSystem.objects.get(code="110").issue_token()  # a new token replaces the old
    assert send(client, matter(), old).status_code == 401
    token = LinkedSystem.objects.get(code="119").issue_token()
    LinkedSystem.objects.filter(code="119").update(is_active=False)
    assert send(client, matter(), token).status_code == 401
    assert not Ticket.objects.filter(channel=Channel.LINKAGE).exists()


def test_a_logged_in_user_without_the_token_gets_no_entry(as_user):
    r = as_user("admin").post("/api/linkage/tickets", matter(), content_type="application/json")
    assert r.status_code == 401


def test_bad_input_names_the_field(client, police_token):
    r = send(client, matter(reference="bad reference!"), police_token)
    assert r.status_code == 400 and "reference" in r.json()
    r = send(client, matter(caller_name=""), police_token)
    assert r.status_code == 400 and "caller_name" in r.json()  # real-name registration [IN-2]
    assert send(client, matter(channel="phone"), police_token).status_code == 400
    assert not Ticket.objects.filter(channel=Channel.LINKAGE).exists()
