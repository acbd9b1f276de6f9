"""[HD-1][HD-2][HD-3] The field's contact with the caller and its reply: an office holding the ticket
records and replies through dispatch; a community under a township's delegation records its contact for the
township and submits a draft reply the township approves (it goes up as the township's reply) or sends back."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.photos import CleanPhoto
from dispatch import services as dispatch_services
from dispatch.exceptions import RuleViolation
from dispatch.fieldwork import workflow
from dispatch.fieldwork.models import CommunityReply, Delegation
from dispatch.fieldwork.services.common import _accept_in_passing, _delegation_from, _delegation_to, _own_assignment
from dispatch.fieldwork.services.photos import add_photos
from dispatch.models import Attachment, CallerContact, Reply, Ticket
from dispatch.services.common import lock_ticket
from grid.models import User


@transaction.atomic
def record_contact(
    *,
    ticket: Ticket,
    by: User,
    note: str,
    means: str = CallerContact.Means.PHONE,
    outcome: str = CallerContact.Outcome.REACHED,
) -> Ticket:
    """[HD-1] The contact with the caller (means and outcome; a failed attempt is recorded too): the office's
    own step, or the community's for the delegating township. Only a contact that reached the caller sets
    contacted_at, as dispatch's contact_caller does."""
    if _own_assignment(ticket, by) is not None:
        return dispatch_services.contact_caller(ticket=ticket, by=by, note=note, means=means, outcome=outcome)
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    reached = outcome == CallerContact.Outcome.REACHED
    action = "delegated_contact" if reached else "delegated_contact_attempt"
    workflow.check(ticket, action)
    if means not in CallerContact.Means.values:
        raise ValidationError({"means": _("Say how the caller was contacted.")})
    if outcome not in CallerContact.Outcome.values:
        raise ValidationError({"outcome": _("Say whether the caller was reached.")})
    if not note.strip():
        raise ValidationError({"note": _("Say how and what was agreed with the caller.")})
    if delegation.state == Delegation.State.ASSIGNED:
        _accept_in_passing(ticket, delegation, by)
    data = {"for": delegation.assignment.office.code, "means": means}
    workflow.fire(ticket, action, by=by, note=note, data=data)
    now = timezone.now()
    CallerContact.objects.create(  # [HD-1] the community's contact, recorded like the unit's own
        ticket=ticket,
        office=by.office,
        step=ticket.step,
        at=now,
        means=means,
        outcome=outcome,
        note=note,
        by=by,
    )
    if reached and ticket.contacted_at is None:
        ticket.contacted_at = now
        ticket.save(update_fields=["contacted_at", "updated_at"])
    return ticket


@dataclass
class FieldReply:
    """What a reply from the field became: the office's formal reply, or a community draft for the township."""

    reply: Reply | None = None
    draft: CommunityReply | None = None
    photos: list[Attachment] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.draft is not None


@transaction.atomic
def reply_from_field(*, ticket: Ticket, by: User, fields: dict[str, str], photos: list[CleanPhoto] = ()) -> FieldReply:
    """[HD-2] A reply with its photos, in one transaction.

    An office holding the ticket replies formally through dispatch (the lead's
    reply, or a co-handler's part [AS-2]); a community working under a
    township's delegation submits a draft that the township reviews first [HD-3].
    """
    if _own_assignment(ticket, by) is not None:
        formal = dispatch_services.reply(ticket=ticket, by=by, **fields)
        attached = add_photos(ticket=ticket, by=by, photos=photos, context="reply") if photos else []
        return FieldReply(reply=formal, photos=attached)
    ticket = lock_ticket(ticket)
    delegation = _delegation_to(ticket, by)
    workflow.check(ticket, "submit_community_reply")
    if delegation.state == Delegation.State.SUBMITTED:
        raise RuleViolation(_("Your draft reply is already with the township for review."), code="draft_pending")
    cleaned = dispatch_services.validate_reply(fields)
    if delegation.state == Delegation.State.ASSIGNED:
        _accept_in_passing(ticket, delegation, by)
    now = timezone.now()
    draft = CommunityReply.objects.create(
        delegation=delegation, ticket=ticket, submitted_at=now, submitted_by=by, **cleaned
    )
    delegation.state = Delegation.State.SUBMITTED
    delegation.save(update_fields=["state"])
    workflow.fire(
        ticket,
        "submit_community_reply",
        by=by,
        note=cleaned["result"][:200],
        data={"draft": draft.pk, "to": delegation.assignment.office.code},
        at=now,
    )
    attached = add_photos(ticket=ticket, by=by, photos=photos, context="draft") if photos else []
    return FieldReply(draft=draft, photos=attached)


@transaction.atomic
def approve_community_reply(*, ticket: Ticket, by: User, note: str = "", **edits: str) -> Reply:
    """[HD-3] The township approves the community's draft (edited or not): it goes up as the township's reply."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_from(ticket, by)
    draft = delegation.drafts.filter(review=CommunityReply.Review.PENDING).first()
    if draft is None:
        raise RuleViolation(_("No community draft awaits your review."), code="no_draft")
    workflow.check(ticket, "approve_community_reply")
    fields = {k: (edits.get(k) or "").strip() or getattr(draft, k) for k in dispatch_services.REPLY_FIELDS}
    changed = sorted(k for k, v in fields.items() if v != getattr(draft, k))
    workflow.fire(
        ticket,
        "approve_community_reply",
        by=by,
        note=note,
        data={"draft": draft.pk, "from": delegation.office.code, "edited": changed},
    )
    formal = dispatch_services.reply(ticket=ticket, by=by, **fields)
    now = timezone.now()
    draft.review, draft.review_note, draft.reviewed_at, draft.reviewed_by = (
        CommunityReply.Review.APPROVED,
        note,
        now,
        by,
    )
    draft.reply = formal
    draft.save(update_fields=["review", "review_note", "reviewed_at", "reviewed_by", "reply"])
    delegation.state, delegation.is_active, delegation.ended_at = Delegation.State.APPROVED, False, now
    delegation.save(update_fields=["state", "is_active", "ended_at"])
    return formal


@transaction.atomic
def send_back_community_reply(*, ticket: Ticket, by: User, note: str) -> CommunityReply:
    """[HD-3] The township sends the community's draft back, saying what it lacks."""
    ticket = lock_ticket(ticket)
    delegation = _delegation_from(ticket, by)
    draft = delegation.drafts.filter(review=CommunityReply.Review.PENDING).first()
    if draft is None:
        raise RuleViolation(_("No community draft awaits your review."), code="no_draft")
    workflow.check(ticket, "send_back_community_reply")
    if not note.strip():
        raise ValidationError({"note": _("Say what the draft lacks.")})
    now = timezone.now()
    draft.review, draft.review_note, draft.reviewed_at, draft.reviewed_by = (
        CommunityReply.Review.SENT_BACK,
        note,
        now,
        by,
    )
    draft.save(update_fields=["review", "review_note", "reviewed_at", "reviewed_by"])
    delegation.state = Delegation.State.SENT_BACK
    delegation.save(update_fields=["state"])
    workflow.fire(ticket, "send_back_community_reply", by=by, note=note, data={"draft": draft.pk}, at=now)
    return draft
