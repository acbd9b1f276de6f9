"""The fieldwork steps a ticket may go through inside a township, as one table.

None of them changes the ticket's status (that stays dispatch.workflow's): each
is a Transition of dispatch.workflow's kind with the target SAME, may fire only
from the listed states, and writes a TicketEvent into the same history as every
other step, so the ticket's audit log shows who delegated what to whom.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.exceptions import TransitionNotAllowed
from dispatch.models import Status, Ticket, TicketEvent
from dispatch.workflow import SAME, Actor, Transition, status_label

S = Status
HANDLING = (S.DISPATCHED, S.IN_PROGRESS)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "delegate",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "ORG-5",
        "A township hands its part to the community workstation or a grid worker; a workstation head to a grid worker",
    ),
    Transition(
        "accept_delegation",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-1",
        "The community (or the grid worker) signs for the delegated work",
    ),
    Transition(
        "delegated_contact",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-1",
        "The community records its contact with the caller for the delegating township",
    ),
    Transition(
        "delegated_contact_attempt",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-1",
        "The community records a failed attempt to reach the caller (a fact, not a contact)",
    ),
    Transition(
        "submit_community_reply",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-2",
        "The community sends its draft reply to the township for review",
    ),
    Transition(
        "approve_community_reply",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-3",
        "The township approves the community's draft; it goes up as the township's formal reply",
    ),
    Transition(
        "send_back_community_reply",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-3",
        "The township sends the community's draft back to be completed",
    ),
    Transition(
        "hand_back",
        (*HANDLING, S.RETURN_REQUESTED),
        (SAME,),
        Actor.ASSIGNEE,
        "AS-3",
        "The community hands the work back to the township, with the reason (and the unit it suggests)",
    ),
    Transition(
        "withdraw_delegation",
        (*HANDLING, S.RETURN_REQUESTED, S.REPLIED),
        (SAME,),
        Actor.ASSIGNEE,
        "ORG-5",
        "The delegating office takes the work back",
    ),
    Transition(
        "attach_photos",
        (S.PENDING_DISPATCH, *HANDLING, S.RETURN_REQUESTED, S.REPLIED),
        (SAME,),
        Actor.ASSIGNEE,
        "HD-2",
        "Photos from the field are added to the ticket",
    ),
)

BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}


def check(ticket: Ticket, name: str) -> Transition:
    """The transition, or TransitionNotAllowed naming the states it needs."""
    tr = BY_NAME[name]
    if ticket.status not in tr.sources:
        raise TransitionNotAllowed(
            _("Cannot %(action)s: the ticket is '%(status)s'; this needs it to be one of: %(allowed)s.")
            % {
                "action": name.replace("_", " "),
                "status": status_label(ticket.status),
                "allowed": ", ".join(status_label(s) for s in tr.sources),
            },
            code="state_forbids",
            status=ticket.status,
            action=name,
        )
    return tr


def fire(ticket: Ticket, name: str, *, by, note: str = "", data: dict | None = None, at: datetime | None = None):
    """Write the event of a fieldwork step (the caller holds the ticket's row lock)."""
    tr = check(ticket, name)
    return TicketEvent.objects.create(
        ticket=ticket,
        at=at or timezone.now(),
        actor=by if getattr(by, "pk", None) else None,
        actor_office=getattr(by, "office", None),
        action=tr.name,
        from_status=ticket.status,
        to_status=ticket.status,
        note=note,
        data=data or {},
    )
