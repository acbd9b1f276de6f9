"""The action registry: every action a person takes on a ticket, by name, with the service that does it.

The API (`POST /api/tickets/<number>/<action>/`) and the workstation pages (`/w/t/<number>/<action>/`)
both look actions up here, so a new action is one entry, and what is offered comes from
dispatch.policy.available_actions (the same readiness checks the services make). An action's input
arrives validated (a DRF serializer for the API, a form for the pages) as a dict; `kwargs` turns it
into the service's keyword arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from dispatch import services
from dispatch.fieldwork import services as field_services


def _same(data: dict) -> dict:
    return dict(data)


def _reply_fields(data: dict) -> dict:
    return {k: data[k] for k in services.REPLY_FIELDS}


@dataclass(frozen=True)
class TicketAction:
    name: str
    service: Callable[..., Any]  # called as service(ticket=…, by=…, **kwargs(data))
    summary: str  # the API's operation summary, with the rule it implements
    done: str = ""  # what the page says afterwards
    kwargs: Callable[[dict], dict] = _same
    message: Callable[[Any], str | None] | None = None  # a message other than `done`, from the result

    def perform(self, *, ticket, by, data: dict) -> Any:
        return self.service(ticket=ticket, by=by, **self.kwargs(data))


ACTIONS: tuple[TicketAction, ...] = (
    # the API's workflow actions [AS-1][AS-3][SLA-3][HD-1..3][CB-1][CB-2]
    TicketAction("dispatch", services.dispatch_manually, "[AS-1] Dispatch a queued ticket by hand (center)"),
    TicketAction(
        "confirm-refusal",
        services.confirm_refusal,
        "[IN-4][CT-2] Confirm that a queued request is not accepted, with the referral; an emergency is transferred (center)",
    ),
    TicketAction("sign-for", services.sign_for, "[HD-1] Sign for the assignment (assigned office)", _("Signed for.")),
    TicketAction("contact", services.contact_caller, "[HD-1] Record contact with the caller (assigned office)"),
    TicketAction(
        "add-co-handler",
        services.add_co_handler,
        "[AS-2] Bring another unit in as a co-handler (lead)",
        _("Co-handler added."),
    ),
    TicketAction(
        "return",
        services.request_return,
        "[AS-3] Return a ticket outside the unit's remit, within the window (assigned office)",
        _("Return requested: the center will decide."),
    ),
    TicketAction(
        "approve-return",
        services.approve_return,
        "[AS-3] Approve a return and re-dispatch (center)",
        kwargs=lambda d: {"office": d["office"] or None, "assignment_id": d["assignment"], "note": d["note"]},
    ),
    TicketAction(
        "refuse-return",
        services.refuse_return,
        "[AS-3] Refuse a return (center)",
        kwargs=lambda d: {"note": d["note"], "assignment_id": d["assignment"]},
    ),
    TicketAction(
        "request-extension",
        services.request_extension,
        "[SLA-3] Ask for up to 6 more days, once per step, before the deadline (lead)",
        _("Extension requested: the center will decide."),
        kwargs=lambda d: {k: d[k] for k in ("days", "reason", "signed_off_by")},
    ),
    TicketAction("approve-extension", services.approve_extension, "[SLA-3] Approve the pending extension (center)"),
    TicketAction("refuse-extension", services.refuse_extension, "[SLA-3] Refuse the pending extension (center)"),
    TicketAction("reply", services.reply, "[HD-2] Reply: the lead's formal reply, or a co-handler's part [AS-2]"),
    TicketAction("accept-reply", services.accept_reply, "[HD-3] Accept the reply and close the ticket (center)"),
    TicketAction("send-back", services.send_back, "[HD-3] Send an incomplete reply back (center)"),
    TicketAction(
        "callback", services.record_callback, "[CB-1][CB-2] Record the caller's satisfaction by SMS or phone (center)"
    ),
    # the center's dispatch desk (desks/) [AS-1][AS-2][CT-5][SV-2]
    TicketAction(
        "change-lead",
        services.change_lead,
        "[AS-2] Name another lead unit (center)",
        _("Lead unit changed."),
        kwargs=lambda d: {"lead": d["lead"], "note": d["note"]},
    ),
    TicketAction(
        "add-co-handlers",
        services.add_co_handlers,
        "[AS-2] Add co-handling units (center)",
        _("Co-handlers added."),
        kwargs=lambda d: {"co_handlers": d["co_handlers"], "note": d["note"]},
    ),
    TicketAction(
        "redispatch",
        services.redispatch,
        "[AS-1] Take the ticket back and dispatch it afresh (center)",
        _("Re-dispatched."),
        kwargs=lambda d: {"lead": d["lead"], "co_handlers": d["co_handlers"], "note": d["note"]},
    ),
    TicketAction(
        "split",
        services.split_ticket,
        "[CT-5] Split a request into items, each routed with its own unit and deadline (center)",
        _("Split into items."),
        kwargs=lambda d: {"items": d["items"], "note": d["note"]},
    ),
    TicketAction(
        "merge",
        services.merge_duplicate,
        "[SV-2] Merge a duplicate into the ticket it repeats (center)",
        _("Merged into the ticket it repeats."),
        kwargs=lambda d: {"into": d["into"], "note": d["note"]},
    ),
    # field work on the pages [ORG-4][ORG-5]: delegation to a community, drafts, hand-backs, photos
    TicketAction(
        "accept", field_services.accept_delegation, "Accept a delegated ticket", _("Accepted: the work is yours.")
    ),
    TicketAction(
        "field-contact",
        field_services.record_contact,
        "[HD-1] Record contact with the caller, from the field",
        _("Contact with the caller recorded."),
    ),
    TicketAction(
        "field-reply",
        field_services.reply_from_field,
        "[HD-2] Reply from the field (a community's reply is a draft for its township)",
        _("Reply sent."),
        kwargs=lambda d: {"fields": _reply_fields(d), "photos": d.get("photos", [])},
        message=lambda result: _("Draft reply sent to the service center for review.") if result.is_draft else None,
    ),
    TicketAction(
        "hand-back",
        field_services.hand_back,
        "Hand a delegated ticket back to the service center",
        _("Handed back to the service center."),
        kwargs=lambda d: {"reason": d["reason"], "suggested_office": d["suggested_office"] or None},
    ),
    TicketAction(
        "delegate",
        field_services.delegate,
        "Assign a ticket to a workstation or a grid worker",
        _("Assigned."),
        kwargs=lambda d: {"note": d["note"], **d["target_parts"]},
    ),
    TicketAction("withdraw", field_services.withdraw_delegation, "Withdraw a delegation", _("Delegation withdrawn.")),
    TicketAction(
        "approve",
        field_services.approve_community_reply,
        "Approve a community's draft reply (it goes up as the township's reply)",
        _("Approved: the reply went up to the center."),
        kwargs=lambda d: {"note": d["note"], **_reply_fields(d)},
    ),
    TicketAction(
        "send-back-draft",
        field_services.send_back_community_reply,
        "Send a community's draft back",
        _("Draft sent back to the community."),
    ),
    TicketAction(
        "photos",
        field_services.add_photos,
        "Add evidence photos",
        _("Photos added."),
        kwargs=lambda d: {"photos": d["photos"], "context": "evidence"},
    ),
)

REGISTRY: dict[str, TicketAction] = {a.name: a for a in ACTIONS}

# The API offers the workflow actions; dispatch.policy.available_actions says which apply now.
API_ACTIONS = (
    "dispatch",
    "confirm-refusal",
    "sign-for",
    "contact",
    "add-co-handler",
    "return",
    "approve-return",
    "refuse-return",
    "request-extension",
    "approve-extension",
    "refuse-extension",
    "reply",
    "accept-reply",
    "send-back",
    "callback",
)
# The pages name their actions as the person sees them; each is one registry entry.
PAGE_ACTIONS = {
    "sign-for": "sign-for",
    "accept": "accept",
    "contact": "field-contact",
    "reply": "field-reply",
    "return": "return",
    "hand-back": "hand-back",
    "request-extension": "request-extension",
    "delegate": "delegate",
    "withdraw": "withdraw",
    "approve": "approve",
    "send-back-draft": "send-back-draft",
    "photos": "photos",
}
