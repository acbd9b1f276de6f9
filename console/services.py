"""The console's writes: CTI events become call records and reach the agent's console [CT-1], a call
becomes a ticket through dispatch's intake or adds its caller to an open ticket, outbound and
three-way calls go to the PBX [CT-3], emergencies are transferred and recorded as linkages [CT-2]."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import Forbidden, NotFound, Unprocessable
from dispatch.models import Assignment, Channel, Ticket, TicketEvent
from dispatch.selectors import mask_phone, ticket_for
from dispatch.services import IntakeData, IntakeResult, intake_ticket
from grid.models import Office

from .models import CallRecord, CallTicket, CtiToken, LeaderBooking, LeaderDay, Seat, token_digest
from .pbx import new_call_id, pbx

if TYPE_CHECKING:
    from grid.models import User

logger = logging.getLogger(__name__)

EVENT_KINDS = ("ringing", "answered", "hangup", "recording")
MESSAGE_TYPE = "console.event"
# [CT-2] the lines an emergency is transferred to (the utilities' lines come from settings).
EMERGENCY_LINES = {
    "110": "公安报警 110",
    "119": "消防救援 119",
    "120": "医疗急救 120",
    "122": "交通事故 122",
}


def emergency_lines() -> dict[str, str]:
    return {**EMERGENCY_LINES, **getattr(settings, "CONSOLE_UTILITY_LINES", {})}


def normalize_phone(number: str) -> str:
    """Digits only, without a +86 / 0086 country prefix (the form tickets keep)."""
    digits = re.sub(r"\D", "", number or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


# -- the telephony system's token -----------------------------------------------------------------


def token_from(header: str) -> str:
    """The token of an `Authorization: Bearer …` (or `Token …`) header, '' if none."""
    parts = (header or "").split(None, 1)
    if len(parts) == 2 and parts[0].lower() in ("bearer", "token"):
        return parts[1].strip()
    return ""


def authenticate_pbx(token: str) -> CtiToken | None:
    """The active token row for this token; a demo token only where settings accept it (never production)."""
    if not token:
        return None
    row = CtiToken.objects.filter(digest=token_digest(token), is_active=True).first()
    if row is None or (row.is_demo and not settings.CTI_ACCEPT_DEMO_TOKEN):
        return None
    CtiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row


def ensure_demo_token() -> str | None:
    """The demo token `make up` prints (None where demo tokens are refused)."""
    token = settings.CTI_DEMO_TOKEN
    if not settings.CTI_ACCEPT_DEMO_TOKEN or not token:
        return None
    CtiToken.issue("demo PBX", token=token, is_demo=True)
    return token


# -- pushing to one agent's console --------------------------------------------------------------


def seat_group(seat_id: int) -> str:
    return f"console.seat.{seat_id}"


def push_to_seat(seat: Seat, event: dict) -> None:
    """Send an event to the console of the agent at this seat, and only there: the seat's group is
    joined only by its agent's sockets, and each socket checks the agent id again (a seat handed over
    between the event and its delivery)."""
    if seat.agent_id is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": MESSAGE_TYPE, "agent_id": seat.agent_id, "event": {**event, "sent_at": time.time()}}
    try:
        async_to_sync(layer.group_send)(seat_group(seat.id), message)
    except Exception:  # a broken layer must never lose the call record
        logger.exception("console push to seat %s failed", seat.extension)


def call_event(call: CallRecord, kind: str) -> dict:
    return {
        "type": f"call.{kind}",
        "call_id": call.call_id,
        "direction": call.direction,
        "caller": call.caller,
        "callee": call.callee,
        "extension": call.extension,
        "state": call.state,
        "leader": call.leader_answered,
        "rang_at": call.rang_at.isoformat(),
        "recording_url": call.recording_url,
    }


# -- CTI events ------------------------------------------------------------------------------------


@dataclass
class CtiEvent:
    kind: str  # ringing | answered | hangup | recording
    call_id: str
    caller: str = ""
    callee: str = ""
    extension: str = ""
    at: dt.datetime | None = None
    recording_url: str = ""


def record_cti_event(event: CtiEvent) -> CallRecord:
    """[CT-1] One event of the PBX: the call's record is made on its first event and follows it
    (answered, ended or missed, its recording); the agent whose extension rang is told, no one else.
    Events may come twice or out of order: a call never goes back from ended to ringing."""
    at = event.at or timezone.now()
    seat = Seat.objects.select_related("office").filter(extension=event.extension).first() if event.extension else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                call, _created = CallRecord.objects.get_or_create(
                    call_id=event.call_id,
                    defaults={
                        "caller": normalize_phone(event.caller),
                        "callee": event.callee,
                        "extension": event.extension,
                        "seat": seat,
                        "agent_id": seat.agent_id if seat else None,
                        "office_id": seat.office_id if seat else None,
                        "leader_answered": bool(seat and seat.is_leader_seat),
                        "rang_at": at,
                    },
                )
        except IntegrityError:  # the same call's first event twice at once
            pass
        call = CallRecord.objects.select_for_update().get(call_id=event.call_id)
        if event.kind == "answered" and call.state == CallRecord.State.RINGING:
            call.state, call.answered_at = CallRecord.State.ANSWERED, at
        elif event.kind == "hangup" and call.ended_at is None:
            call.ended_at = at
            call.state = CallRecord.State.ENDED if call.answered_at else CallRecord.State.MISSED
        elif event.kind == "recording" and event.recording_url:
            call.recording_url = event.recording_url
        if seat is not None and call.seat_id is None:
            call.seat, call.agent_id, call.office_id = seat, seat.agent_id, seat.office_id
        call.save()
        if call.seat_id:
            target = call.seat
            transaction.on_commit(lambda: push_to_seat(target, call_event(call, event.kind)))
    return call


# -- calls and tickets -----------------------------------------------------------------------------


def call_for(user: User, call_id: str) -> CallRecord:
    """A call the user may act on: one that rang at their seat or one they placed (404 otherwise)."""
    call = CallRecord.objects.select_related("seat").filter(call_id=call_id, agent_id=user.pk).first()
    if call is None:
        raise NotFound(_("No call %(call)s at your seat.") % {"call": call_id}, code="no_such_call")
    return call


def save_draft(*, user: User, call: CallRecord, draft: dict) -> CallRecord:
    """Keep the ticket form as typed so far, so a dropped browser or a second screen loses nothing."""
    call.draft = draft
    call.save(update_fields=["draft"])
    return call


def take_ticket(
    *,
    user: User,
    data: IntakeData,
    call: CallRecord | None = None,
    province_number: str = "",
    idempotency_key: str | None = None,
) -> IntakeResult:
    """A call becomes a ticket through dispatch's intake (channel phone [IN-1]), placed and routed at
    once [AS-1]. A province-assigned ticket (省12345 交办) keeps its source number [CT-5] (a second
    intake of the same number finds the first ticket); one taken at a leader's seat is a focus case [SV-3]."""
    data.channel = Channel.PHONE
    if call is not None and not data.caller_phone:
        data.caller_phone = call.caller
    if province_number:
        data.external_id = f"P12345-{province_number}"[:64]
        data.extra = {**data.extra, "source": "province_12345", "province_number": province_number}
    if call is not None:
        data.extra = {**data.extra, "call_id": call.call_id}
    result = intake_ticket(data=data, by=user, idempotency_key=idempotency_key)
    ticket = result.ticket
    if call is not None:
        with transaction.atomic():
            CallTicket.objects.get_or_create(
                call=call,
                ticket=ticket,
                defaults={"relation": CallTicket.Relation.CREATED, "at": timezone.now(), "by": user},
            )
            if call.draft:
                call.draft = {}
                call.save(update_fields=["draft"])
            if call.leader_answered and "leader_answered" not in ticket.focus_reasons:
                ticket.focus_reasons = [*ticket.focus_reasons, "leader_answered"]
                Ticket.objects.filter(pk=ticket.pk).update(focus_reasons=ticket.focus_reasons)
    return result


def link_caller(*, user: User, call: CallRecord, number: str, note: str = "") -> Ticket:
    """Same problem: the caller is added to the open ticket instead of a duplicate — on the call's record
    and as an event in the ticket's history (the caller's number masked there [IN-2])."""
    ticket = ticket_for(user, number)
    if ticket.status in ("refused", "archived"):
        raise Unprocessable(
            _("Ticket %(number)s is no longer open: take a new ticket.") % {"number": ticket.number},
            code="ticket_not_open",
        )
    now = timezone.now()
    with transaction.atomic():
        link, created = CallTicket.objects.get_or_create(
            call=call, ticket=ticket, defaults={"relation": CallTicket.Relation.LINKED, "at": now, "by": user}
        )
        if created:
            TicketEvent.objects.create(
                ticket=ticket,
                at=now,
                actor=user,
                actor_office_id=user.office_id,
                action="caller_linked",
                from_status=ticket.status,
                to_status=ticket.status,
                note=note or _("The same problem was reported again by phone."),
                data={"call_id": call.call_id, "caller": mask_phone(call.caller)},
            )
    return ticket


def _seat_of(user: User) -> Seat:
    seat = Seat.objects.filter(agent_id=user.pk).first()
    if seat is None:
        raise Forbidden(_("You have no seat (extension): ask an administrator for one."), code="no_seat")
    return seat


def _log(call: CallRecord, entry: dict) -> None:
    call.pbx_log = [*call.pbx_log, {**entry, "at": timezone.now().isoformat()}]
    call.save(update_fields=["pbx_log"])


def transfer_emergency(*, user: User, call: CallRecord, line: str, note: str = "") -> CallRecord:
    """[CT-2] An emergency is transferred to 110/119/120/122 (or a utility's line) and the call records the
    linkage: a person decides, never a keyword alone [IN-4]."""
    lines = emergency_lines()
    if line not in lines:
        raise Unprocessable(_("Transfer to one of: %(lines)s.") % {"lines": "、".join(lines)}, code="unknown_line")
    pbx().transfer(call_id=call.call_id, extension=call.extension, number=line)
    call.transferred_to, call.transferred_at, call.transfer_note = line, timezone.now(), note[:200]
    call.save(update_fields=["transferred_to", "transferred_at", "transfer_note"])
    _log(call, {"action": "transfer", "number": line})
    return call


def _unit_phone(ticket: Ticket, office_code: str) -> tuple[Office, str]:
    """[CT-3] A unit's three-fixed number: the given unit, else the ticket's lead unit."""
    assignments = Assignment.objects.filter(ticket=ticket, is_active=True).select_related("office")
    if office_code:
        office = Office.objects.filter(code=office_code, is_active=True).first()
        if office is None:
            raise Unprocessable(_("No unit %(code)s.") % {"code": office_code}, code="unknown_office")
    else:
        lead = next((a for a in assignments if a.role == Assignment.Role.LEAD), None)
        if lead is None:
            raise Unprocessable(_("The ticket has no lead unit yet."), code="no_lead_unit")
        office = lead.office
    if not office.phone:
        raise Unprocessable(
            _("%(office)s has no fixed number for three-way calls [CT-3].") % {"office": office.name},
            code="no_unit_phone",
        )
    return office, office.phone


def call_out(*, user: User, number: str, target: str, office_code: str = "") -> CallRecord:
    """Click-to-call (外呼) from a ticket to its caller or to a unit's fixed number [CT-1][CT-3]: the PBX
    rings the agent's extension and then dials; the call is recorded against the ticket."""
    from dispatch.policy import can_see_caller

    seat = _seat_of(user)
    ticket = ticket_for(user, number)
    if target == "caller":
        if not can_see_caller(user, ticket) or not ticket.caller_phone:
            raise Forbidden(_("You may not call this ticket's caller."), code="caller_hidden")
        dial, office = ticket.caller_phone, None
    elif target == "unit":
        office, dial = _unit_phone(ticket, office_code)
    else:
        raise Unprocessable(_("Call the caller or the unit."), code="bad_target")
    now = timezone.now()
    call = CallRecord.objects.create(
        call_id=new_call_id(),
        direction=CallRecord.Direction.OUTBOUND,
        caller=seat.extension,
        callee=dial,
        extension=seat.extension,
        seat=seat,
        agent=user,
        office_id=seat.office_id,
        rang_at=now,
    )
    CallTicket.objects.create(call=call, ticket=ticket, relation=CallTicket.Relation.ABOUT, at=now, by=user)
    pbx().originate(extension=seat.ring_target, number=dial, call_id=call.call_id)  # a remote seat's URI [CT-1]
    _log(call, {"action": "originate", "target": target, "office": office.code if office else ""})
    return call


def three_way(*, user: User, call: CallRecord, office_code: str) -> CallRecord:
    """[CT-1][CT-3] Bring a unit into the caller's call (三方通话) on its three-fixed number."""
    office = Office.objects.filter(code=office_code, is_active=True).first()
    if office is None:
        raise Unprocessable(_("No unit %(code)s.") % {"code": office_code}, code="unknown_office")
    if not office.phone:
        raise Unprocessable(
            _("%(office)s has no fixed number for three-way calls [CT-3].") % {"office": office.name},
            code="no_unit_phone",
        )
    if call.state != CallRecord.State.ANSWERED:
        raise Unprocessable(_("A three-way call needs a call in progress."), code="call_not_in_progress")
    pbx().three_way(call_id=call.call_id, extension=call.extension, number=office.phone)
    _log(call, {"action": "three_way", "office": office.code, "number": office.phone})
    return call


def sign_in(seat_id: int, *, at: dt.datetime) -> None:
    """The agent's console opened: the wall counts the agent on seat."""
    Seat.objects.filter(pk=seat_id).update(signed_in_at=at)


def sign_out(seat_id: int, *, since: dt.datetime) -> None:
    """The console opened at `since` closed: off seat, unless another of the agent's consoles opened since."""
    Seat.objects.filter(pk=seat_id, signed_in_at__lte=since).update(signed_in_at=None)


def book_leader_day(
    *, user: User, leader_day_id: int, caller_phone: str, caller_name: str, topic: str
) -> LeaderBooking:
    """[CT-4] Book a caller to speak with the leader on an answering day of the user's center (or, for the
    city center, any center's); a past day cannot be booked."""
    days = LeaderDay.objects.select_related("office")
    office = user.office
    if office.kind != Office.Kind.CITY_CENTER:
        days = days.filter(office_id=office.id)
    day = days.filter(pk=leader_day_id).first()
    if day is None:
        raise NotFound(_("No such leader's answering day."), code="no_leader_day")
    if day.day < timezone.localdate():
        raise Unprocessable(_("That answering day is over."), code="leader_day_over")
    return LeaderBooking.objects.create(
        leader_day=day, caller_phone=normalize_phone(caller_phone), caller_name=caller_name, topic=topic, booked_by=user
    )
