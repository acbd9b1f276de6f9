"""Replies [HD-2]: the unit's formal reply, the center's review [HD-3], accept or send back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.exceptions import RuleViolation
from dispatch.gateways import gateway
from dispatch.models import (
    Assignment,
    OutboundMessage,
    Reply,
    Ticket,
)
from dispatch.services.common import lock_ticket
from dispatch.texts import site_text
from dispatch.workflow import fire

if TYPE_CHECKING:
    from grid.models import User

REPLY_FIELDS = ("facts", "result", "basis", "signer", "handler_name")
MIN_FACTS_AND_RESULT = 30  # [HD-2] a one-line reply is refused


def validate_reply(fields: dict[str, str]) -> dict[str, str]:
    """[HD-2] facts, result and basis, signer and handler, and more than one line's worth of substance."""
    cleaned = {k: (fields.get(k) or "").strip() for k in REPLY_FIELDS}
    errors = {k: _("This field is required in a reply [HD-2].") for k, v in cleaned.items() if not v}
    if not errors:
        if len(cleaned["facts"]) + len(cleaned["result"]) < MIN_FACTS_AND_RESULT:
            errors["result"] = _(
                "A one-line reply is refused: state the facts found and the result, with at least %(n)s characters between them."
            ) % {"n": MIN_FACTS_AND_RESULT}
        elif len(cleaned["basis"]) < 4:
            errors["basis"] = _("State the basis (law, policy or finding) of the result.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def combined_reply(replies: list[Reply]) -> str:
    """The lead's reply and the co-handlers' after it, as one text [AS-2] (each reply's office loaded)."""
    return "\n\n".join(
        site_text(
            gettext_noop(
                "[%(office)s] %(facts)s\n%(result)s\nBasis: %(basis)s\nSigned off by %(signer)s; handled by %(handler)s; %(time)s"
            ),
            office=r.office.name,
            facts=r.facts,
            result=r.result,
            basis=r.basis,
            signer=r.signer,
            handler=r.handler_name,
            time=f"{timezone.localtime(r.replied_at):%Y-%m-%d %H:%M}",
        )
        for r in replies
    )


@transaction.atomic
def reply(*, ticket: Ticket, by: User, **fields: str) -> Reply:
    """[HD-2] The lead's formal reply, combined with the co-handlers' [AS-2]; it goes to review [HD-3]."""
    ticket = lock_ticket(ticket)
    assignment = policy.authorize(ticket, "co_reply" if _is_co(ticket, by) else "reply", by)
    co = assignment.role == Assignment.Role.CO
    workflow.check(ticket, "co_reply" if co else "reply")
    cleaned = validate_reply(fields)
    assignments = list(ticket.assignments.filter(is_active=True).select_related("office"))
    policy.require_ready("reply", policy.Situation(ticket, assignment, assignments, []))
    now = timezone.now()
    answer = Reply.objects.create(
        ticket=ticket,
        assignment=assignment,
        office=assignment.office,
        role=assignment.role,
        step=ticket.step,
        replied_at=now,
        replied_by=by,
        review="" if co else Reply.Review.PENDING,
        **cleaned,
    )
    assignment.state, assignment.replied_at = Assignment.State.REPLIED, now
    assignment.save(update_fields=["state", "replied_at"])
    fire(ticket, "co_reply" if co else "reply", by=by, note=cleaned["result"][:200], data={"reply": answer.pk})
    if not co:
        ticket.replied_at = now
        co_replies = ticket.replies.filter(step=ticket.step, role="co").select_related("office")
        ticket.reply_text = combined_reply([answer, *co_replies])
    ticket.contacted_at = ticket.contacted_at or now
    ticket.save()
    return answer


def _is_co(ticket: Ticket, user) -> bool:
    return ticket.assignments.filter(
        is_active=True, role=Assignment.Role.CO, office_id=getattr(user, "office_id", None)
    ).exists()


def _pending_reply(ticket: Ticket) -> Reply:
    found = ticket.replies.filter(step=ticket.step, role="lead", review=Reply.Review.PENDING).order_by("-id").first()
    if found is None:
        raise RuleViolation(_("No reply awaits review."), code="no_reply_pending")
    return found


@transaction.atomic
def accept_reply(*, ticket: Ticket, by: User, note: str = "") -> Ticket:
    """[HD-3] The center accepts the reply and closes the ticket; [CB-1][CB-2] the callback SMS goes out."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "accept_reply", by)
    workflow.check(ticket, "accept_reply")
    now = timezone.now()
    answer = _pending_reply(ticket)
    answer.review, answer.review_note, answer.reviewed_at = Reply.Review.ACCEPTED, note, now
    answer.save(update_fields=["review", "review_note", "reviewed_at"])
    ticket.assignments.filter(is_active=True).update(state=Assignment.State.CLOSED)
    ticket.closed_at = now
    ticket.callback_due = sla.callback_deadline(ticket.sla_policy, closed_at=now)
    fire(ticket, "accept_reply", by=by, note=note, data={"callback_due": ticket.callback_due.isoformat()})
    if ticket.caller_phone:
        gateway().send(
            medium=OutboundMessage.Medium.SMS,
            purpose="callback",
            ticket=ticket,
            to_number=ticket.caller_phone,
            text=callback_sms_text(ticket),
        )
        ticket.callback_sms_at = now
    ticket.save()
    return ticket


def callback_sms_text(ticket: Ticket) -> str:
    return site_text(
        gettext_noop(
            "[Pingdingshan 12345] Your request (ticket %(number)s) has been dealt with. Please reply with a number: "
            "1 satisfied, 2 basically satisfied, 3 unsatisfied. Thank you!"
        ),
        number=ticket.number,
    )


@transaction.atomic
def send_back(*, ticket: Ticket, by: User, note: str) -> Ticket:
    """[HD-3] An incomplete reply goes back, to be completed within the deadline (which does not move)."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "send_back", by)
    workflow.check(ticket, "send_back")
    if not note.strip():
        raise ValidationError({"note": _("Say what the reply lacks.")})
    answer = _pending_reply(ticket)
    answer.review, answer.review_note, answer.reviewed_at = Reply.Review.SENT_BACK, note, timezone.now()
    answer.save(update_fields=["review", "review_note", "reviewed_at"])
    ticket.assignments.filter(is_active=True, role="lead").update(state=Assignment.State.SIGNED)
    fire(ticket, "send_back", by=by, note=note)
    if "perfunctory" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "perfunctory"]
    ticket.save()
    return ticket
