"""Callbacks [CB-1][CB-2]: the citizen's satisfaction, and rework when unsatisfied [SLA-4]."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.gateways import gateway
from dispatch.models import (
    Assignment,
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
        _rework(ticket, by=by, now=now)
    ticket.save()
    return ticket


def manual_callback_text(ticket: Ticket) -> str:
    return site_text(
        gettext_noop("Ticket %(number)s: unsatisfied by SMS. Call the caller back and record the satisfaction."),
        number=ticket.number,
    )


def _rework(ticket: Ticket, *, by: User, now: dt.datetime) -> None:
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
            why=site_text(gettext_noop("rework after an unsatisfied callback, due within 5 working days [SLA-4]")),
            dispatched_by=ticket.center,
            assigned_at=now,
        )
        for a in previous
    )
    if "dissatisfied" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "dissatisfied"]
    fire(ticket, "rework", by=by, data={"resolve_by": deadline.isoformat(), "step": ticket.step})
