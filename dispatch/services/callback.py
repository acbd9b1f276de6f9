"""Callbacks [CB-1][CB-2]: the citizen's satisfaction, and rework when unsatisfied [SLA-4]."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.gateways import gateway, normalize_number, parse_satisfaction
from dispatch.models import (
    Assignment,
    InboundMessage,
    OutboundMessage,
    Satisfaction,
    Status,
    Ticket,
)
from dispatch.services.common import lock_ticket
from dispatch.services.intake import start_clock
from dispatch.texts import site_text
from dispatch.workflow import fire

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def record_callback(*, ticket: Ticket, by: User, channel: str, satisfaction: str, note: str = "") -> Ticket:
    """[CB-1][CB-2] The caller's satisfaction, by SMS first, then by a person.

    SMS unsatisfied → a manual callback (a call task through the gateway);
    unsatisfied at the manual callback → rework by the lead within 5 working days [SLA-4].
    """
    ticket = lock_ticket(ticket)
    name = "sms_callback" if channel == "sms" else "manual_callback"
    policy.authorize(ticket, name, by)
    workflow.check(ticket, name, to=Status.ARCHIVED)
    now = timezone.now()
    satisfied = satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
    to = Status.ARCHIVED if satisfied else Status.CALLBACK_MANUAL
    fire(ticket, name, to=to, by=by, note=note, data={"satisfaction": satisfaction})
    ticket.satisfaction, ticket.callback_channel, ticket.callback_at = satisfaction, channel, now
    if satisfied:
        ticket.archived_at = now
    elif channel == "sms":
        gateway().send(
            medium=OutboundMessage.Medium.CALL,
            purpose="manual_callback",
            ticket=ticket,
            to_number=ticket.caller_phone,
            text=manual_callback_text(ticket),
        )
    else:
        ticket.save()  # the unsatisfied answer belongs to the round it judges (dispatch.rounds) [SLA-4]
        _rework(ticket, by=by, now=now)
    ticket.save()
    return ticket


def manual_callback_text(ticket: Ticket) -> str:
    return site_text(
        gettext_noop("Ticket %(number)s: unsatisfied by SMS. Call the caller back and record the satisfaction."),
        number=ticket.number,
    )


def rework(ticket: Ticket, *, by: User, why: str) -> None:
    """[SLA-4] Rework for another reason than an unsatisfied callback (a reply found false at a verifying
    callback [AR-5]): the same new round; the caller holds the ticket's lock, has fired the transition to
    the manual callback state, and saves the ticket."""
    ticket.archived_at = None
    _rework(ticket, by=by, now=timezone.now(), why=why)


def _rework(ticket: Ticket, *, by: User, now: dt.datetime, why: str = "") -> None:
    """[SLA-4] The lead (and co-handlers) verify and rework, in a new step due in 5 working days."""
    previous = list(ticket.assignments.filter(is_active=True).select_related("office"))
    ticket.assignments.filter(is_active=True).update(is_active=False)
    ticket.step += 1
    deadline = sla.rework_deadline(ticket.sla_policy, start=now)
    start_clock(ticket, policy=ticket.sla_policy, start=now, resolve_by=deadline)
    ticket.signed_at = ticket.replied_at = ticket.closed_at = ticket.callback_due = None
    Assignment.objects.bulk_create(
        Assignment(
            ticket=ticket,
            office=a.office,
            role=a.role,
            step=ticket.step,
            why=why
            or site_text(gettext_noop("rework after an unsatisfied callback, due within 5 working days [SLA-4]")),
            dispatched_by=ticket.center,
            assigned_at=now,
        )
        for a in previous
    )
    if "dissatisfied" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "dissatisfied"]
    fire(ticket, "rework", by=by, data={"resolve_by": deadline.isoformat(), "step": ticket.step})


@transaction.atomic
def record_sms_answer(
    *, provider_id: str, from_number: str, text: str, received_at: dt.datetime | None = None, gateway_name: str = ""
) -> InboundMessage:
    """[CB-2] A caller's answer to the callback SMS, as the gateway's webhook delivers it: kept whatever it says,
    and when it reads 1, 2 or 3 (or the words) recorded on the caller's closed ticket awaiting it. Unsatisfied
    goes to a manual callback (a call task through the gateway). Delivered twice, it is recorded once."""
    known = InboundMessage.objects.filter(provider_id=provider_id).first()
    if known is not None:
        return known
    now = timezone.now()
    number = normalize_number(from_number)
    message = InboundMessage(
        provider_id=provider_id,
        from_number=number,
        text=text[:500],
        received_at=received_at or now,
        gateway=gateway_name,
    )
    satisfaction = parse_satisfaction(text)
    waiting = (
        Ticket.objects.filter(status=Status.CLOSED, callback_sms_at__isnull=False, caller_phone=number)
        .order_by("-closed_at", "-id")
        .first()
        if number
        else None
    )
    if waiting is None:
        answered = InboundMessage.objects.filter(from_number=number, outcome=InboundMessage.Outcome.RECORDED).exists()
        message.outcome = InboundMessage.Outcome.DUPLICATE if answered else InboundMessage.Outcome.NO_TICKET
    elif satisfaction is None:
        message.ticket, message.outcome = waiting, InboundMessage.Outcome.UNREADABLE
    else:
        ticket = lock_ticket(waiting)
        satisfied = satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
        fire(
            ticket,
            "sms_answer",
            to=Status.ARCHIVED if satisfied else Status.CALLBACK_MANUAL,
            note=text[:200],
            data={"satisfaction": satisfaction, "sms": provider_id},
        )
        ticket.satisfaction, ticket.callback_channel, ticket.callback_at = satisfaction, "sms", now
        if satisfied:
            ticket.archived_at = now
        else:
            gateway().send(
                medium=OutboundMessage.Medium.CALL,
                purpose="manual_callback",
                ticket=ticket,
                to_number=ticket.caller_phone,
                text=manual_callback_text(ticket),
            )
        ticket.save()
        message.ticket, message.satisfaction, message.outcome = ticket, satisfaction, InboundMessage.Outcome.RECORDED
    message.save()
    return message


CITIZEN_CHANNEL = "citizen"  # the rating the caller gives on the citizen's page (issue 16)


@transaction.atomic
def record_citizen_rating(*, ticket: Ticket, satisfaction: str, note: str = "") -> Ticket:
    """[CB-1][CB-2] The caller rates the accepted reply on the citizen's page: this is the callback.

    The caller answers in their own words, as they would at a manual callback: satisfied or basically
    satisfied archives the ticket; unsatisfied sends it back to the lead for rework within 5 working
    days [SLA-4]. Who may rate (the caller whose phone was verified) is decided by
    policy.caller_may_rate before this is called; there is no staff user behind it.
    """
    ticket = lock_ticket(ticket)
    if satisfaction not in Satisfaction.values:
        raise ValueError(f"unknown satisfaction {satisfaction!r}")
    workflow.check(ticket, "manual_callback", to=Status.ARCHIVED)
    now = timezone.now()
    satisfied = satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASIC)
    to = Status.ARCHIVED if satisfied else Status.CALLBACK_MANUAL
    fire(
        ticket,
        "manual_callback",
        to=to,
        by=None,
        office=ticket.center,
        note=note,
        data={"satisfaction": satisfaction, "channel": CITIZEN_CHANNEL},
    )
    ticket.satisfaction, ticket.callback_channel, ticket.callback_at = satisfaction, CITIZEN_CHANNEL, now
    if satisfied:
        ticket.archived_at = now
    else:
        _rework(ticket, by=None, now=now)
    ticket.save()
    return ticket
