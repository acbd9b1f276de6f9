"""What every workflow step shares: the row lock and resolving an office by code."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dispatch.models import (
    Ticket,
)
from grid.models import Office


def lock_ticket(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock (SELECT … FOR UPDATE OF the ticket) inside the caller's
    transaction: every workflow step takes it first, so two clicks on one ticket run one after the other."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("center", "sla_policy").get(pk=ticket.pk)


def _office(code_or_office, *, field: str = "office") -> Office:
    if isinstance(code_or_office, Office):
        return code_or_office
    office = Office.objects.filter(code=code_or_office, is_active=True).first()
    if office is None:
        raise ValidationError({field: _("No active office has code %(code)s.") % {"code": code_or_office}})
    return office
