"""A spike alert reaches, over the wall's real WebSocket consumer, the walls of those who answer
for its township and no other [AN-1] (Channels' in-memory layer, as in test_live)."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from alerts.models import SpikeAlert
from alerts.services import raise_spike_alerts
from dispatch.models import Category
from maps import services
from tests.alerts.test_flares import GUANGMINGLU, tickets
from tests.maps.test_live import _in_the_test_transaction, connect, received, run  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_a_flare_is_pushed_once_to_the_walls_that_answer_for_its_township_AN_1(django_capture_on_commit_callbacks):
    today = timezone.localdate()
    drains = Category.objects.get(code="0101")
    tickets(drains, GUANGMINGLU, today, 9, "push")
    now = timezone.now()
    [alert] = raise_spike_alerts(day=today, now=now)

    async def scenario():
        city = await connect("wall_viewer")
        county = await connect("xinhua_dispatcher")
        township = await connect("guangminglu_handler")
        other_township = await connect("xiatang_handler")
        community = await connect("changqing_grid")  # listens to its community only
        department = await connect("water_handler")

        def push():
            with django_capture_on_commit_callbacks(execute=True):
                return services.push_spike_alerts(now=now + dt.timedelta(seconds=5))

        assert await database_sync_to_async(push)() == [alert.id]
        assert await database_sync_to_async(push)() == []  # once, however many tickers run
        for comm in (city, county, township):
            [m] = await received(comm)
            assert (m["type"], m["id"], m["township_code"], m["count"]) == ("spike.raised", alert.id, GUANGMINGLU, 9)
            assert m["township"] == "光明路街道" and m["category"] == "城市管理/下水道堵塞"
            assert m["report_due"] == timezone.localtime(alert.report_due).isoformat()
        for comm in (other_township, community, department):
            assert await received(comm) == []
        for comm in (city, county, township, other_township, community, department):
            await comm.disconnect()

    run(scenario)
    assert SpikeAlert.objects.get().pushed_at is not None


def test_an_alert_raised_long_before_any_wall_was_connected_is_marked_not_announced(django_capture_on_commit_callbacks):
    today = timezone.localdate()
    tickets(Category.objects.get(code="0101"), GUANGMINGLU, today, 9, "old")
    raised_at = timezone.now()
    raise_spike_alerts(day=today, now=raised_at)

    async def scenario():
        city = await connect("wall_viewer")

        def push():
            with django_capture_on_commit_callbacks(execute=True):
                return services.push_spike_alerts(now=raised_at + dt.timedelta(hours=1))

        assert await database_sync_to_async(push)() == []
        assert await received(city) == []
        await city.disconnect()

    run(scenario)
    assert SpikeAlert.objects.get().pushed_at is not None  # the wall fetches it with its state instead


def test_the_socket_scope_check_follows_the_township_not_the_group(users):
    """Groups only narrow the traffic; before forwarding, each socket asks alerts' rule."""
    from maps.consumers import _may_see

    today = timezone.localdate()
    tickets(Category.objects.get(code="0101"), GUANGMINGLU, today, 9, "scope")
    [alert] = raise_spike_alerts(day=today)
    verdicts = {
        u: _may_see(users[u], f"k-{u}", [], alert.id)
        for u in ("wall_viewer", "xinhua_dispatcher", "guangminglu_handler", "xiatang_handler", "changqing_grid")
    }
    assert verdicts == {
        "wall_viewer": True,
        "xinhua_dispatcher": True,
        "guangminglu_handler": True,
        "xiatang_handler": False,
        "changqing_grid": False,
    }
