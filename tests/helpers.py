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
    from dispatch.services import accept_reply, reply, sign_for

    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    sign_for(ticket=t, by=users["water_handler"])
    reply(ticket=t, by=users["water_handler"], **WATER_REPLY)
    accept_reply(ticket=t, by=users["city_dispatcher"])
    return t
