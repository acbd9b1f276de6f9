"""The first steps of handling: manual dispatch from the queue, sign-for [SLA-1] and contact with the citizen [HD-1]."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.models import (
    Assignment,
    Status,
    Ticket,
)
from dispatch.routing import routing_table
from dispatch.services.common import _office, lock_ticket
from dispatch.services.intake import start_clock
from dispatch.texts import site_text
from dispatch.workflow import SAME, fire
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def dispatch_manually(
    *,
    ticket: Ticket,
    by: User,
    lead: Office | str,
    co_handlers: list[Office | str] = (),
    category: str = "",
    note: str = "",
) -> Ticket:
    """[AS-1] A dispatcher routes a queued ticket by hand (and may classify it on the way)."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "dispatch", by)
    workflow.check(ticket, "dispatch")
    lead = _office(lead, field="lead")
    co = [_office(c, field="co_handlers") for c in co_handlers]
    if any(c.pk == lead.pk for c in co) or len({c.pk for c in co}) != len(co):
        raise ValidationError({"co_handlers": _("An office may appear only once among lead and co-handlers.")})
    if category:
        ref = routing_table().category(category)
        if ref is None:
            raise ValidationError({"category": _("Unknown category %(category)s.") % {"category": category}})
        ticket.category_id = ref.id
    now = timezone.now()
    who = getattr(by, "display_name", "") or str(by)
    for office, role in [(lead, Assignment.Role.LEAD), *[(c, Assignment.Role.CO) for c in co]]:
        Assignment.objects.create(
            ticket=ticket,
            office=office,
            role=role,
            step=ticket.step,
            why=site_text(gettext_noop("manual dispatch by %(who)s: %(note)s"), who=who, note=note or "—"),
            dispatched_by=by.office,
            assigned_at=now,
        )
    start_clock(ticket, policy=sla.policy_for(ticket.urgency, ticket.kind, routing_table().sla_policies), start=now)
    if co and "multi_unit" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "multi_unit"]
    fire(ticket, "dispatch", by=by, note=note, data={"lead": lead.code, "co": [c.code for c in co]})
    ticket.save()
    return ticket


@transaction.atomic
def sign_for(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    """[HD-1] A unit signs for its assignment; the lead's signature starts the handling."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "sign_for", by)
    policy.require_ready("sign-for", policy.Situation(ticket, assignment, [], []))
    now = timezone.now()
    lead = assignment.role == Assignment.Role.LEAD
    fire(ticket, "sign_for", to=Status.IN_PROGRESS if lead else SAME, by=by, note=note, data={"role": assignment.role})
    assignment.state, assignment.signed_at, assignment.signed_by = Assignment.State.SIGNED, now, by
    assignment.save(update_fields=["state", "signed_at", "signed_by"])
    if lead:
        ticket.signed_at = now
    ticket.save()
    return ticket


@transaction.atomic
def contact_caller(*, ticket: Ticket, by: User, note: str) -> Ticket:
    """[HD-1] Record the unit's contact with the caller: the first reply the clock asks for."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "contact_caller", by)
    workflow.check(ticket, "contact_caller")
    policy.require_ready("contact", policy.Situation(ticket, assignment, [], []))
    if not note.strip():
        raise ValidationError({"note": _("Say how and what was agreed with the caller.")})
    fire(ticket, "contact_caller", by=by, note=note)
    ticket.contacted_at = ticket.contacted_at or timezone.now()
    ticket.save()
    return ticket
