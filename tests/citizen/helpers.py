"""Helpers for the citizen's side tests: a verified client, a report through the page, a closed request."""

from __future__ import annotations

import re
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dispatch.models import OutboundMessage, Ticket
from tests.dispatch.fieldwork.images import image_bytes
from tests.helpers import CHANGQING, label

PHONE = "13912345678"
OTHER_PHONE = "13698765432"


def last_code(phone: str) -> str:
    msg = OutboundMessage.objects.filter(purpose="citizen_code", to_number=phone).order_by("-id").first()
    return re.search(r"\d{6}", msg.text).group(0)


def forget_limits() -> None:
    """A minute passes for the rate limits (the counters of the test's transaction go)."""
    from core.models import RateCounter

    RateCounter.objects.all().delete()


def get_code(client: Client, phone: str = PHONE, *, fresh: bool = False) -> str:
    if fresh:
        forget_limits()
    resp = client.post("/m/code", {"phone": phone}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 200, resp.content
    return last_code(phone)


def report_form(**overrides) -> dict:
    lon, lat = label(CHANGQING)
    form = {
        "kind": "help",
        "description": "长青路上的路灯坏了好几天，晚上走路很危险",
        "address": "",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
        "name": "王芳",
        "phone": PHONE,
        "public": "on",
        "idempotency_key": uuid.uuid4().hex,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def photo(name: str = "lamp.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG"), content_type="image/jpeg")


def file_report(client: Client, *, code: bool = True, **overrides) -> Ticket:
    """A report through /m/ (a code first when the client's phone is not verified yet)."""
    form = report_form(**overrides)
    if code:
        form["code"] = get_code(client, form["phone"])
    resp = client.post("/m/", form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    number = resp["Location"].rstrip("/").rsplit("/", 1)[-1]
    return Ticket.objects.get(number=number)


def handler_for(office):
    """A user who may act for `office`: a demo user when there is one, else one made for the test."""
    from grid.models import Office, Role, User

    found = User.objects.filter(office=office, role__in=policy_roles()).first()
    if found:
        return found
    role = {
        Office.Kind.DEPARTMENT: Role.DEPARTMENT_HANDLER,
        Office.Kind.TOWNSHIP_CENTER: Role.TOWNSHIP_HANDLER,
        Office.Kind.WORKSTATION: Role.WORKSTATION_HEAD,
    }.get(office.kind, Role.COUNTY_DISPATCHER)
    return User.objects.create(username=f"test-{office.code}"[:150], office=office, role=role)


def policy_roles():
    from dispatch.policy import HANDLER_ROLES

    return list(HANDLER_ROLES)


LAMP_REPLY = {
    "facts": "经现场核实，长青路路灯线路老化导致不亮。",
    "result": "已更换线路和灯具，路灯恢复正常照明，并已电话告知市民。",
    "basis": "《城市照明管理规定》",
    "signer": "街道办 李主任",
    "handler_name": "赵建国",
}


def close_with_reply(ticket: Ticket, users, reply_fields: dict = LAMP_REPLY) -> Ticket:
    """The center dispatches a queued ticket to 光明路街道; the lead unit (whichever the routing chose)
    signs for it and replies; the center accepts the reply: closed, awaiting the callback."""
    from dispatch.services import accept_reply, contact_caller, dispatch_manually, reply, sign_for

    if ticket.status == "pending_dispatch":
        dispatch_manually(ticket=ticket, by=users["city_dispatcher"], lead="TC-410402002")
        ticket.refresh_from_db()
    lead = ticket.assignments.select_related("office").get(is_active=True, role="lead").office
    handler = handler_for(lead)
    for a in ticket.assignments.select_related("office").filter(is_active=True, role="co"):
        sign_for(ticket=ticket, by=handler_for(a.office))
    sign_for(ticket=ticket, by=handler)
    contact_caller(ticket=ticket, by=handler, note="电话联系诉求人，说明处理安排")  # [HD-1] before the reply
    for a in ticket.assignments.select_related("office").filter(is_active=True, role="co"):
        reply(ticket=ticket, by=handler_for(a.office), **reply_fields)
    reply(ticket=ticket, by=handler, **reply_fields)
    center = ticket.center
    dispatcher = users["city_dispatcher"] if center is None or center.kind == "city_center" else handler_for(center)
    accept_reply(ticket=ticket, by=dispatcher)
    ticket.refresh_from_db()
    return ticket


def make_public_closed(ticket: Ticket, users, *, public: bool = True) -> Ticket:
    """A citizen's ticket with its public choice set, handled and closed with the lamp reply."""
    Ticket.objects.filter(pk=ticket.pk).update(is_public=public)  # the caller's one choice, kept on the ticket
    return close_with_reply(ticket, users)
