"""Rulings on the assessment [AR-5]: a ticket the center rules an unreasonable repeated demand
(无理重复诉求) is handled by its own rule and does not count against the unit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Exemption
from dispatch import policy
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def rule_unreasonable_repeat(*, ticket: Ticket, by: User, reason: str) -> Exemption:
    """[AR-5] The center rules a repeated demand unreasonable: the ticket leaves the unit's counts (every
    month it touched is recomputed by the supervisor's next refresh), and its history says so."""
    if not policy.may_rule_exemption(by, ticket):
        raise NotPermitted(_("Only a dispatcher of the ticket's center may rule on it."), code="center_only")
    if ticket.repeat_of_id is None:
        raise RuleViolation(
            _("Only a repeated demand (a ticket linked to an earlier one) can be ruled unreasonable."),
            code="not_a_repeat",
        )
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": _("Give the grounds of the ruling.")})
    if Exemption.objects.filter(ticket=ticket).exists():
        raise RuleViolation(_("This ticket has already been ruled on."), code="already_ruled")
    now = timezone.now()
    exemption = Exemption.objects.create(
        ticket=ticket, kind=Exemption.Kind.UNREASONABLE_REPEAT, reason=reason.strip(), ruled_at=now, ruled_by=by
    )
    TicketEvent.objects.create(
        ticket=ticket,
        at=now,
        actor=by,
        actor_office=by.office,
        action="rule_unreasonable_repeat",
        from_status=ticket.status,
        to_status=ticket.status,
        note=reason.strip(),
        data={"exemption": exemption.pk, "rule": "AR-5"},
    )
    return exemption
