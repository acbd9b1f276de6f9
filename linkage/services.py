"""Tickets handed over to the linked systems and received from them (工单互转) [CT-2].

Out: a person of the center hands a ticket to a line (110, 119, 120, 122, a utility); the hand-over is
recorded (who, when, which line, the call, what was sent) before the backend carries it, an event goes
into the ticket's history, and the linked system's reference is kept when it answers.
In: a linked system hands a non-emergency matter to 12345 through the one intake (channel linkage),
idempotently by its own reference; the reverse link is a received hand-over on the ticket.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import Forbidden, NotFound, Unprocessable
from dispatch.models import Channel, Ticket, TicketEvent
from dispatch.policy import may_hand_over
from dispatch.selectors import ticket_for
from dispatch.services import IntakeData, IntakeResult, intake_ticket

from .backends import HandOverFailed, backend
from .models import HandOver, LinkedSystem, token_digest

if TYPE_CHECKING:
    from grid.models import User

OPEN_STATES = (HandOver.State.OUTBOX, HandOver.State.SENT, HandOver.State.FAILED)


def active_system(line: str) -> LinkedSystem:
    system = LinkedSystem.objects.filter(code=line, is_active=True).first()
    if system is None:
        lines = "、".join(LinkedSystem.objects.filter(is_active=True).values_list("code", flat=True))
        raise Unprocessable(
            _("No linked system %(line)s: hand over to one of %(lines)s.") % {"line": line, "lines": lines or "-"},
            code="unknown_line",
        )
    return system


def payload_for(handover: HandOver) -> dict:
    """What the linked system receives (docs/linkage.md): the ticket as the caller gave it, with the
    caller's contact — the linked system acts on it — and who handed it over."""
    t, by = handover.ticket, handover.by
    point = t.point
    return {
        "handover_id": handover.idempotency_key,
        "line": handover.system.code,
        "sent_at": handover.at.isoformat(),
        "note": handover.note,
        "ticket": {
            "number": t.number,
            "received_at": t.received_at.isoformat(),
            "kind": t.kind,
            "urgency": t.urgency,
            "category": t.category.name if t.category_id else "",
            "description": t.description,
            "address": t.address,
            "lon": point.x if point else None,
            "lat": point.y if point else None,
            "caller_name": t.caller_name,
            "caller_phone": t.caller_phone,
        },
        "from": {
            "center": t.center.name if t.center_id else (by.office.name if by and by.office_id else ""),
            "agent": str(by) if by else "",
            "call_id": handover.call_id,
        },
    }


def _deliver(handover: HandOver) -> HandOver:
    """Send through the configured backend and record its answer (never loses the record)."""
    carrier = backend()
    handover.backend = f"{type(carrier).__module__}.{type(carrier).__name__}"
    try:
        delivery = carrier.hand_over(
            line=handover.system.code, payload=handover.payload, idempotency_key=handover.idempotency_key
        )
    except HandOverFailed as e:
        handover.state, handover.last_error = HandOver.State.FAILED, e.message
        handover.attempts += e.attempts
    else:
        handover.state, handover.last_error = delivery.state, ""
        handover.attempts += delivery.attempts
        if delivery.reference:
            handover.their_reference, handover.answered_at = delivery.reference, timezone.now()
    handover.save(update_fields=["backend", "state", "last_error", "attempts", "their_reference", "answered_at"])
    if handover.their_reference:
        _answered_event(handover)
    return handover


def _event(handover: HandOver, action: str, note: str) -> None:
    t = handover.ticket
    TicketEvent.objects.create(
        ticket=t,
        at=timezone.now(),
        actor=handover.by,
        actor_office_id=handover.by.office_id if handover.by else None,
        action=action,
        from_status=t.status,
        to_status=t.status,
        note=note,
        data={
            "line": handover.system.code,
            "handover": handover.idempotency_key,
            "reference": handover.their_reference,
        },
    )


def _answered_event(handover: HandOver) -> None:
    _event(
        handover,
        "handover_answered",
        _("%(line)s took the ticket over: their number %(reference)s.")
        % {"line": handover.system.name, "reference": handover.their_reference},
    )


def hand_over(*, user: User, number: str, line: str, note: str = "", call_id: str = "") -> HandOver:
    """[CT-2] Hand the ticket over to the line's system: recorded first (outbox), then carried by the backend."""
    ticket = ticket_for(user, number)
    if not may_hand_over(user, ticket):
        raise Forbidden(_("Only the ticket's center hands it over to a linked system."), code="not_your_ticket")
    system = active_system(line)
    if call_id:  # the call it came from must be the agent's own (console.services.call_for's rule)
        from console.models import CallRecord

        if not CallRecord.objects.filter(call_id=call_id, agent_id=user.pk).exists():
            raise NotFound(_("No call %(call)s at your seat.") % {"call": call_id}, code="no_such_call")
    with transaction.atomic():
        handover = HandOver.objects.create(
            ticket=ticket,
            system=system,
            direction=HandOver.Direction.OUT,
            state=HandOver.State.OUTBOX,
            at=timezone.now(),
            by=user,
            call_id=call_id,
            note=note[:500],
            idempotency_key=f"HO-{uuid.uuid4().hex}",
        )
        handover.payload = payload_for(handover)
        handover.save(update_fields=["payload"])
        _event(
            handover,
            "handed_over",
            _("Handed over to %(line)s.") % {"line": system.name} + (f" {note}" if note else ""),
        )
    return _deliver(handover)


def retry_hand_over(*, user: User, handover_id: int) -> HandOver:
    """Send a hand-over that failed or is still waiting again, with the same idempotency key."""
    handover = handover_for(user, handover_id)
    if handover.direction != HandOver.Direction.OUT or handover.state not in OPEN_STATES:
        raise Unprocessable(_("This hand-over needs no retry."), code="handover_done")
    if not may_hand_over(user, handover.ticket):
        raise Forbidden(_("Only the ticket's center hands it over to a linked system."), code="not_your_ticket")
    return _deliver(handover)


def handover_for(user: User, handover_id: int) -> HandOver:
    """A hand-over of a ticket the user may see (404 otherwise)."""
    from dispatch.policy import tickets_visible_to

    handover = (
        HandOver.objects.select_related("ticket", "system", "by")
        .filter(pk=handover_id, ticket__in=tickets_visible_to(user))
        .first()
    )
    if handover is None:
        raise NotFound(_("No such hand-over."), code="no_handover")
    return handover


def record_reference(*, system: LinkedSystem, handover_key: str, reference: str) -> HandOver:
    """The linked system answers later with its reference number for a hand-over it was sent."""
    handover = (
        HandOver.objects.select_related("ticket", "system", "by")
        .filter(idempotency_key=handover_key, system=system, direction=HandOver.Direction.OUT)
        .first()
    )
    if handover is None:
        raise NotFound(_("No hand-over %(key)s to this system.") % {"key": handover_key}, code="no_handover")
    if handover.their_reference == reference:
        return handover
    handover.their_reference, handover.answered_at = reference, timezone.now()
    handover.state, handover.last_error = HandOver.State.ACCEPTED, ""
    handover.save(update_fields=["their_reference", "answered_at", "state", "last_error"])
    _answered_event(handover)
    return handover


# -- inbound: a linked system hands a matter to 12345 --------------------------------------------


def authenticate_system(token: str) -> LinkedSystem | None:
    """The active linked system whose inbound token this is (None: a 401)."""
    if not token:
        return None
    system = LinkedSystem.objects.filter(token_digest=token_digest(token), is_active=True).first()
    if system is not None:
        LinkedSystem.objects.filter(pk=system.pk).update(last_received_at=timezone.now())
    return system


def receive_ticket(*, system: LinkedSystem, reference: str, data: IntakeData, note: str = "") -> IntakeResult:
    """[CT-2] A matter 110 (etc.) hands to 12345 enters through the one intake with channel linkage, its
    external id the sender's reference (a retry finds the first ticket); the ticket keeps the reverse link."""
    data.channel = Channel.LINKAGE
    data.external_id = f"{system.code}-{reference}"[:64]
    data.extra = {**data.extra, "source": "linkage", "linked_system": system.code, "their_reference": reference}
    result = intake_ticket(data=data, client=f"linkage:{system.code}", idempotency_key=None)
    try:
        with transaction.atomic():
            HandOver.objects.get_or_create(
                system=system,
                direction=HandOver.Direction.IN,
                their_reference=reference,
                defaults={
                    "ticket": result.ticket,
                    "state": HandOver.State.RECEIVED,
                    "at": timezone.now(),
                    "note": note[:500],
                    "idempotency_key": f"HI-{uuid.uuid4().hex}",
                    "payload": {"reference": reference, "received_at": _iso(data.received_at)},
                },
            )
    except IntegrityError:  # the same reference twice at once: the other request kept the link
        pass
    return result


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def handovers_of(ticket: Ticket) -> list[HandOver]:
    return list(HandOver.objects.filter(ticket=ticket).select_related("system", "by").order_by("at", "id"))
