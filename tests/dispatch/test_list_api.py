"""GET /api/tickets/: the filters the issue names, and cursor pagination."""

import datetime as dt

import pytest
from django.utils import timezone

from dispatch.models import Ticket
from tests.helpers import CHANGQING, RUZHOU, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(db):
    now = timezone.now()
    return {
        "drain": make_ticket(code=CHANGQING, category="0101"),
        "heating": make_ticket(code=CHANGQING, category="0701", urgency="urgent", description="长青社区暖气漏水"),
        "xiatang": make_ticket(code=XIATANG, category="0103", description="下汤镇集市占道经营严重"),
        "old": make_ticket(
            code=RUZHOU, category="0801", description="汝州停水两天没人管", received_at=now - dt.timedelta(days=10)
        ),
        "queued": make_ticket(code=None, category="", channel="wechat", description="想反映个问题不知道归谁管"),
    }


def numbers(client, **params) -> set[str]:
    resp = client.get("/api/tickets/", params)
    assert resp.status_code == 200, resp.json()
    return {t["number"] for t in resp.json()["results"]}


def test_filters(as_user, tickets):
    c = as_user("city_dispatcher")
    n = {k: t.number for k, t in tickets.items()}
    assert numbers(c, status="pending_dispatch") == {n["queued"]}
    assert numbers(c, status="dispatched,pending_dispatch") == set(n.values())
    assert numbers(c, office="DEPT-heating") == {n["heating"]}
    assert numbers(c, area="410402002") == {n["drain"], n["heating"]}
    assert numbers(c, area="410423") == {n["xiatang"]}
    assert numbers(c, category="07") == {n["heating"]}  # a top-level code takes its leaves
    assert numbers(c, category="0101") == {n["drain"]}
    assert numbers(c, urgency="urgent") == {n["heating"]}
    assert numbers(c, channel="wechat") == {n["queued"]}
    assert numbers(c, overdue="true") == {n["old"]}  # 10 days old, general: 5 days
    assert n["old"] not in numbers(c, overdue="false")
    lon, lat = label(XIATANG)
    assert numbers(c, bbox=f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}") == {n["xiatang"]}
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert numbers(c, received_from=yesterday) == set(n.values()) - {n["old"]}
    assert numbers(c, received_to=yesterday) == {n["old"]}
    assert numbers(c, focus="true") == {n["heating"], n["old"]}  # heating and water: livelihood [SV-3]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "lost"}, "status"),
        ({"urgency": "asap"}, "urgency"),
        ({"area": "abc"}, "area"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "113,34,112,33"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"received_from": "2026-13-45"}, "received_from"),
        ({"received_from": "2026-11-02", "received_to": "2026-11-01"}, "received_to"),
        ({"overdue": "maybe"}, "overdue"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(as_user, params, field):
    resp = as_user("city_dispatcher").get("/api/tickets/", params)
    assert resp.status_code == 400 and field in resp.json()


def test_cursor_pagination_walks_every_ticket_once_newest_first(as_user):
    base = timezone.now() - dt.timedelta(hours=1)
    made = [
        make_ticket(
            category="0101", received_at=base + dt.timedelta(minutes=i % 4), description=f"下水道堵塞第{i}次反映"
        )
        for i in range(11)
    ]
    client, seen, url = as_user("city_dispatcher"), [], "/api/tickets/?page_size=3"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 3
        seen += [(t["received_at"], t["number"]) for t in body["results"]]
        url = body["next"]
    assert sorted(n for _, n in seen) == sorted(t.number for t in made)
    assert len(seen) == len(set(seen)) == Ticket.objects.count()
    assert [r for r, _ in seen] == sorted((r for r, _ in seen), reverse=True)


def test_a_tampered_cursor_is_a_4xx(as_user):
    resp = as_user("city_dispatcher").get("/api/tickets/", {"cursor": "garbage!!"})
    assert resp.status_code == 400 and "cursor" in resp.json()  # bad input, named (was a 404 "page not found")
