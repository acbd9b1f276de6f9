"""The ticket state machine: one table of transitions, one function that fires them.

Every change a ticket goes through is a row of TRANSITIONS (its name, the states
it may start from, the states it may lead to, who may fire it, and the rule of
DOMAIN.md it implements) and every firing writes a TicketEvent (who, when, from,
to, why). docs/workflow.md is rendered from this table (`manage.py
render_workflow`), and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dispatch.models import Status, Ticket, TicketEvent
from grid.models import Office

from .exceptions import TransitionNotAllowed

NEW = ""  # the state before intake: the ticket does not exist yet
SAME = "="  # a target meaning "the status does not change"


class Actor(StrEnum):
    SYSTEM = "system"  # intake and the supervisor
    CENTER = "center"  # the ticket's city center or sub-center (a dispatcher)
    ASSIGNEE = "assignee"  # an office holding an active assignment (lead or co-handler)
    LEAD = "lead"  # the office holding the active lead assignment
    CO = "co"  # an office holding an active co-handling assignment


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    actor: Actor
    rule: str
    summary: str


S = Status
OPEN = (S.DISPATCHED, S.IN_PROGRESS, S.RETURN_REQUESTED)
HANDLING = (S.DISPATCHED, S.IN_PROGRESS)

TRANSITIONS: tuple[Transition, ...] = (
    # intake
    Transition(
        "accept_intake",
        (NEW,),
        (S.DISPATCHED,),
        Actor.SYSTEM,
        "AS-1",
        "Routed at intake: lead (and co-handlers) assigned, deadlines set",
    ),
    Transition(
        "queue_for_dispatch",
        (NEW,),
        (S.PENDING_DISPATCH,),
        Actor.SYSTEM,
        "AS-1",
        "Cannot be routed (no place or category): kept in the manual dispatch queue",
    ),
    Transition(
        "refuse_intake",
        (NEW,),
        (S.REFUSED,),
        Actor.SYSTEM,
        "IN-4",
        "Not accepted: recorded with the reason and the referral given",
    ),
    Transition(
        "answer_from_knowledge_base",
        (NEW,),
        (S.ARCHIVED,),
        Actor.SYSTEM,
        "IN-5",
        "A consultation the knowledge base answers is answered and closed at intake",
    ),
    # dispatch and handling
    Transition(
        "dispatch",
        (S.PENDING_DISPATCH,),
        (S.DISPATCHED,),
        Actor.CENTER,
        "AS-1",
        "Manual dispatch from the queue to a lead unit (and co-handlers)",
    ),
    Transition(
        "sign_for",
        (S.DISPATCHED, S.IN_PROGRESS, S.RETURN_REQUESTED),
        (S.IN_PROGRESS, SAME),
        Actor.ASSIGNEE,
        "HD-1",
        "A unit signs for its assignment; the lead's signature starts the handling",
    ),
    Transition(
        "contact_caller",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-1",
        "A unit records its contact with the caller (first reply)",
    ),
    Transition(
        "request_return",
        HANDLING,
        (S.RETURN_REQUESTED, SAME),
        Actor.ASSIGNEE,
        "AS-3",
        "A unit returns a ticket outside its remit, within the window, with reason and suggested unit",
    ),
    Transition(
        "approve_return",
        (S.RETURN_REQUESTED, *HANDLING),
        (S.DISPATCHED, SAME),
        Actor.CENTER,
        "AS-3",
        "The center agrees and re-dispatches to another unit",
    ),
    Transition(
        "refuse_return",
        (S.RETURN_REQUESTED, *HANDLING),
        (S.DISPATCHED, S.IN_PROGRESS, SAME),
        Actor.CENTER,
        "AS-3",
        "The center refuses the return: the unit keeps the ticket",
    ),
    Transition(
        "request_extension",
        HANDLING,
        (SAME,),
        Actor.LEAD,
        "SLA-3",
        "The lead asks for up to 6 more days, before the deadline, once per step",
    ),
    Transition(
        "approve_extension",
        OPEN,
        (SAME,),
        Actor.CENTER,
        "SLA-3",
        "The center approves: the resolve deadline moves",
    ),
    Transition(
        "refuse_extension",
        OPEN,
        (SAME,),
        Actor.CENTER,
        "SLA-3",
        "The center refuses the extension",
    ),
    Transition(
        "co_reply",
        HANDLING,
        (SAME,),
        Actor.CO,
        "AS-2",
        "A co-handler replies on its part; the lead's reply combines them",
    ),
    Transition(
        "reply",
        (S.IN_PROGRESS,),
        (S.REPLIED,),
        Actor.LEAD,
        "HD-2",
        "The lead replies with facts, result, basis, signer, unit, handler and time",
    ),
    Transition(
        "accept_reply",
        (S.REPLIED,),
        (S.CLOSED,),
        Actor.CENTER,
        "HD-3",
        "The center accepts the reply and closes the ticket; the callback SMS goes out",
    ),
    Transition(
        "send_back",
        (S.REPLIED,),
        (S.IN_PROGRESS,),
        Actor.CENTER,
        "HD-3",
        "The center sends an incomplete reply back, to be completed within the deadline",
    ),
    # the center's dispatch desk (desks/): leads, co-handlers, splits, duplicates [AS-2][CT-5][SV-2]
    Transition(
        "change_lead",
        OPEN,
        (S.DISPATCHED,),
        Actor.CENTER,
        "AS-2",
        "The center names another lead unit, with the reason; the co-handlers stay, the new lead signs for it",
    ),
    Transition(
        "add_co_handlers",
        OPEN,
        (SAME,),
        Actor.CENTER,
        "AS-2",
        "The center adds co-handling units; the lead convenes them",
    ),
    Transition(
        "redispatch",
        OPEN,
        (S.DISPATCHED,),
        Actor.CENTER,
        "AS-1",
        "The center takes the ticket back from every unit and dispatches it afresh, in a new step",
    ),
    Transition(
        "split",
        (S.PENDING_DISPATCH, *HANDLING),
        (S.ARCHIVED,),
        Actor.CENTER,
        "CT-5",
        "A cross-sector request is split into items, each a ticket of its own; this one closes with their numbers",
    ),
    Transition(
        "split_item",
        (NEW,),
        (S.DISPATCHED,),
        Actor.CENTER,
        "CT-5",
        "An item of a split request, routed to its own unit with its own deadline",
    ),
    Transition(
        "merge_duplicate",
        (S.PENDING_DISPATCH, *OPEN),
        (S.ARCHIVED,),
        Actor.CENTER,
        "SV-2",
        "A duplicate is merged into the ticket it repeats and closes with that ticket's number",
    ),
    Transition(
        "absorb_duplicate",
        (S.PENDING_DISPATCH, *OPEN, S.REPLIED, S.CLOSED, S.CALLBACK_MANUAL),
        (SAME,),
        Actor.CENTER,
        "SV-2",
        "The kept ticket takes the duplicate's caller, who is called back too",
    ),
    Transition(
        "contact_attempt",
        HANDLING,
        (SAME,),
        Actor.ASSIGNEE,
        "HD-1",
        "A failed attempt to reach the caller is recorded (a fact, not a contact)",
    ),
    # callback and rework
    Transition(
        "sms_callback",
        (S.CLOSED,),
        (S.ARCHIVED, S.CALLBACK_MANUAL),
        Actor.CENTER,
        "CB-2",
        "The caller answers the callback SMS; unsatisfied goes to a manual callback",
    ),
    Transition(
        "sms_answer",
        (S.CLOSED,),
        (S.ARCHIVED, S.CALLBACK_MANUAL),
        Actor.SYSTEM,
        "CB-2",
        "The caller's SMS answer arrives through the gateway's webhook; unsatisfied goes to a manual callback",
    ),
    Transition(
        "manual_callback",
        (S.CLOSED, S.CALLBACK_MANUAL),
        (S.ARCHIVED, S.CALLBACK_MANUAL),
        Actor.CENTER,
        "CB-1",
        "A person calls the caller back and records satisfaction",
    ),
    Transition(
        "rework",
        (S.CALLBACK_MANUAL,),
        (S.DISPATCHED,),
        Actor.CENTER,
        "SLA-4",
        "Unsatisfied at the manual callback: the lead verifies and reworks within 5 working days",
    ),
    Transition(
        "queue_verification",
        (S.CLOSED, S.CALLBACK_MANUAL, S.ARCHIVED, *OPEN, S.REPLIED),
        (SAME,),
        Actor.CENTER,
        "AR-5",
        "Its unit is suspected of false reports: a reply the center accepted is put on the verifying-callback queue",
    ),
    Transition(
        "verify_reply",
        (S.CLOSED, S.CALLBACK_MANUAL, S.ARCHIVED, *OPEN, S.REPLIED),
        (SAME, S.CALLBACK_MANUAL),
        Actor.CENTER,
        "AR-5",
        "The verifying callback's finding; a false reply of a closed round goes to rework [SLA-4]",
    ),
    Transition(
        "add_co_handler",
        (S.IN_PROGRESS,),
        (SAME,),
        Actor.LEAD,
        "AS-2",
        "The lead unit brings another unit in as a co-handler",
    ),
    Transition(
        "flag_co_handler_late",
        (S.IN_PROGRESS, S.REPLIED),
        (SAME,),
        Actor.SYSTEM,
        "AS-2",
        "A co-handler missed its part's deadline: the lead replies without it and the co-handler is flagged",
    ),
    Transition(
        "confirm_refusal",
        (S.PENDING_DISPATCH,),
        (S.REFUSED,),
        Actor.CENTER,
        "IN-4",
        "A dispatcher confirms that a queued request is not accepted (a rule may have suggested it), with the referral; an emergency is transferred [CT-2]",
    ),
    # supervision
    Transition(
        "remind",
        OPEN,
        (SAME,),
        Actor.SYSTEM,
        "SV-1",
        "Reminder: near the deadline (≥ 80% of the time used) or not signed for in time",
    ),
    Transition(
        "phone_supervision",
        OPEN,
        (SAME,),
        Actor.SYSTEM,
        "SV-1",
        "Overdue: the center phones the unit",
    ),
    Transition(
        "written_supervision",
        OPEN,
        (SAME,),
        Actor.SYSTEM,
        "SV-1",
        "Long overdue: written supervision notice",
    ),
    Transition(
        "flag_reply_overdue",
        OPEN,
        (SAME,),
        Actor.SYSTEM,
        "SLA-1",
        "The first reply to the caller (contact) is late: the lead unit is reminded",
    ),
    Transition(
        "supervise",
        (*OPEN, S.REPLIED),
        (SAME,),
        Actor.CENTER,
        "SV-1",
        "A dispatcher supervises: a reminder, a phone call or a numbered written notice (督办单)",
    ),
    Transition(
        "answer_supervision",
        (*OPEN, S.REPLIED),
        (SAME,),
        Actor.LEAD,
        "SV-1",
        "The lead unit answers a written supervision notice",
    ),
    Transition(
        "flag_repeat",
        (S.PENDING_DISPATCH, *OPEN, S.REPLIED, S.CLOSED, S.CALLBACK_MANUAL, S.ARCHIVED),
        (SAME,),
        Actor.SYSTEM,
        "SV-2",
        "A repeat complaint: linked to the earlier ticket and sent up to the unit head",
    ),
    Transition(
        "flag_callback_overdue",
        (S.CLOSED, S.CALLBACK_MANUAL),
        (SAME,),
        Actor.SYSTEM,
        "CB-1",
        "The callback was not made within 2 working days of closing",
    ),
)

BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}


def status_label(status: str) -> str:
    return str(Status(status).label) if status else _("new")


def check(ticket: Ticket, name: str, *, to: str | None = None) -> tuple[Transition, str]:
    """The transition and the resulting status, or TransitionNotAllowed naming why."""
    tr = BY_NAME[name]
    current = ticket.status or NEW
    if current not in tr.sources:
        allowed = ", ".join(status_label(s) for s in tr.sources)
        raise TransitionNotAllowed(
            _("Cannot %(action)s: the ticket is '%(status)s'; this needs it to be one of: %(allowed)s.")
            % {"action": name.replace("_", " "), "status": status_label(current), "allowed": allowed},
            code="state_forbids",
            status=current,
            action=name,
        )
    if to is None:
        if len(tr.targets) != 1:
            raise ValueError(f"{name} can lead to {tr.targets}: say which")
        to = tr.targets[0]
    if to == current and SAME in tr.targets:
        to = SAME
    if to not in tr.targets:
        raise ValueError(f"{name} cannot lead to {to!r}")
    return tr, current if to == SAME else to


def fire(
    ticket: Ticket,
    name: str,
    *,
    to: str | None = None,
    by=None,
    office: Office | None = None,
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
    commit: bool = True,
) -> TicketEvent:
    """Move the ticket by one transition and write its event.

    The caller holds the ticket's row lock (services lock it with SELECT … FOR
    UPDATE) and saves the ticket; with commit=False the event is returned
    unsaved, for bulk loads.
    """
    tr, target = check(ticket, name, to=to)
    before = ticket.status or NEW
    ticket.status = target
    event = TicketEvent(
        ticket=ticket,
        at=at or timezone.now(),
        actor=by if by is not None and getattr(by, "pk", None) else None,
        actor_office=office if office is not None else getattr(by, "office", None),
        action=tr.name,
        from_status=before,
        to_status=target,
        note=note,
        data=data or {},
    )
    if commit:
        event.save()
    return event


def path_is_valid(actions: list[tuple[str, str]]) -> bool:
    """Whether a sequence of (action, resulting status) can happen from intake on (used by the demo loader)."""
    ticket = Ticket(status=NEW)
    for name, to in actions:
        try:
            _tr, target = check(ticket, name, to=to)
        except (TransitionNotAllowed, ValueError):
            return False
        ticket.status = target
    return True


def render_markdown() -> str:
    """docs/workflow.md: the transition table and a state diagram, generated from TRANSITIONS."""
    with translation.override("en"):
        return _render_markdown()


def _render_markdown() -> str:
    def label(s: str) -> str:
        return "(new)" if s == NEW else ("(unchanged)" if s == SAME else f"`{s}`")

    lines = [
        "# The ticket workflow",
        "",
        "<!-- Generated by `manage.py render_workflow` from dispatch/workflow.py; a test checks it. -->",
        "",
        "Every transition writes a ticket event (who, when, from, to, why). A transition fired",
        "from a state not listed answers HTTP 409 with the reason; a user who is not the actor",
        "listed answers 403 (or 404 when the ticket is not theirs to see).",
        "",
        "## States",
        "",
        "| state | meaning |",
        "|---|---|",
        *[f"| `{s.value}` | {s.label} |" for s in Status],
        "",
        "## Transitions",
        "",
        "| transition | from | to | who | rule | what |",
        "|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS:
        lines.append(
            f"| `{t.name}` | {', '.join(label(s) for s in t.sources)} | {', '.join(label(s) for s in t.targets)} "
            f"| {t.actor.value} | [{t.rule}] | {t.summary} |"
        )
    lines += ["", "## Diagram", "", "```mermaid", "stateDiagram-v2"]
    seen = set()
    for t in TRANSITIONS:
        for src in t.sources:
            for dst in t.targets:
                if dst == SAME:
                    continue
                key = (src, dst, t.name)
                if key in seen:
                    continue
                seen.add(key)
                lines.append(f"    {'[*]' if src == NEW else src} --> {dst}: {t.name}")
    lines += [f"    {s} --> [*]" for s in (Status.REFUSED, Status.ARCHIVED)]
    lines += ["```", ""]
    return "\n".join(lines)
