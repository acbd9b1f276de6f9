"""Helpers for tests that need tickets: places from the Pingdingshan fixtures, demo users, tickets made through intake."""

from __future__ import annotations

from dispatch.models import Ticket
from dispatch.services import IntakeData, intake_ticket
from grid.models import Area

CHANGQING = "410402002005"  # 长青社区, 光明路街道, 新华区 (central five)
GUANGMINGLU = "410402002"  # 光明路街道
XIATANG = "410423101"  # 下汤镇, 鲁山县 (a sub-center county)
RUZHOU = "410482"  # 汝州市 (a sub-center county)


def label(code: str) -> tuple[float, float]:
    p = Area.objects.current().get(code=code).label_point
    return p.x, p.y


def make_ticket(
    *,
    code: str | None = CHANGQING,
    category: str = "0101",
    kind: str = "complaint",
    urgency: str = "general",
    description: str = "楼下下水道堵了，污水溢到路面上，已经两天了",
    channel: str = "phone",
    by=None,
    **extra,
) -> Ticket:
    lon, lat = label(code) if code else (None, None)
    data = IntakeData(
        channel=channel,
        kind=kind,
        urgency=urgency,
        category=category,
        description=description,
        lon=extra.pop("lon", lon),
        lat=extra.pop("lat", lat),
        caller_name=extra.pop("caller_name", "王芳"),
        caller_phone=extra.pop("caller_phone", "13812341234"),
        **extra,
    )
    return intake_ticket(data=data, by=by).ticket


def events(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "id").values_list("action", flat=True))


WATER_REPLY = {
    "facts": "经核实为供水主管道计划检修，未按规定提前发布停水公告。",
    "result": "已于当日18时恢复供水，并补发公告，今后计划停水提前24小时通知。",
    "basis": "《城市供水条例》",
    "signer": "供水公司 孙经理",
    "handler_name": "郑丽娟",
}


def closed_water_ticket(users) -> Ticket:
    """A water outage in 长青社区, handled by the water company and closed by the city center."""
    from dispatch.services import accept_reply, contact_caller, reply, sign_for

    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    sign_for(ticket=t, by=users["water_handler"])
    contact_caller(ticket=t, by=users["water_handler"], note="电话告知恢复供水时间")  # [HD-1]
    reply(ticket=t, by=users["water_handler"], **WATER_REPLY)
    accept_reply(ticket=t, by=users["city_dispatcher"])
    return t


def rolled_back_world(django_db_blocker, build, **settings_overrides):
    """A module's world built once in one transaction and rolled back at the module's end; each request of
    the test client runs in a savepoint of it (Django's client keeps the test's connection open across
    requests, so the signals that close old connections are off meanwhile). A generator for a fixture."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(**settings_overrides):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build()
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
            yield world
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
