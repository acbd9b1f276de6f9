"""Referrals [IN-4][CT-2]: a person confirms that a request is not accepted, and an emergency is handed over.

A refusal rule's phrase only suggests (dispatch.services.intake keeps the suggestion on the queued
ticket); a dispatcher of the ticket's center confirms it here, with the referral the caller is given,
or dispatches the ticket as usual. An emergency is transferred to its line and the link recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import policy, workflow
from dispatch.models import EmergencyTransfer, RefusalReason, Ticket
from dispatch.services.common import lock_ticket
from dispatch.services.intake import DEFAULT_REFERRALS, emergency_line, suggested_refusal
from dispatch.texts import site_text
from dispatch.workflow import fire

if TYPE_CHECKING:
    from grid.models import User


@transaction.atomic
def confirm_refusal(
    *, ticket: Ticket, by: User, reason: str = "", referral: str = "", transfer_to: str = "", note: str = ""
) -> Ticket:
    """[IN-4] A dispatcher refuses a queued ticket (by default as its rule suggested), giving the referral;
    [CT-2] an emergency is transferred to its line with a linkage record."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "confirm_refusal", by)
    workflow.check(ticket, "confirm_refusal")
    suggestion = suggested_refusal(ticket) or {}
    reason = reason or suggestion.get("reason", "")
    if reason not in RefusalReason.values:
        raise ValidationError({"reason": _("Say why the request is not accepted.")})
    if not referral.strip():
        same = suggestion.get("reason") == reason and suggestion.get("referral")
        referral = same or site_text(DEFAULT_REFERRALS[RefusalReason(reason)])
    if transfer_to and transfer_to not in EmergencyTransfer.Line.values:
        raise ValidationError({"transfer_to": _("Unknown emergency line %(line)s.") % {"line": transfer_to}})
    now = timezone.now()
    ticket.refusal_reason, ticket.referral = reason, referral.strip()[:200]
    data = {"reason": reason, "suggested": suggestion or None}
    if reason == RefusalReason.EMERGENCY:
        transfer = EmergencyTransfer.objects.create(
            ticket=ticket,
            line=emergency_line(ticket.referral, transfer_to),
            transferred_at=now,
            transferred_by=by,
            referral=ticket.referral,
            note=note,
        )
        data["transfer"] = transfer.line
    fire(ticket, "confirm_refusal", by=by, note=note or ticket.referral, data=data)
    ticket.save()
    return ticket
