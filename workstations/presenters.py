"""How tickets look on a phone: countdown colours, labels of history entries and parts. No rules live here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.photos import MAX_PHOTOS
from dispatch.models import OPEN_STATUSES
from dispatch.sla import NEAR_DEADLINE_FRACTION

AMBER_FRACTION = 0.5  # half the time used: amber; NEAR_DEADLINE_FRACTION (the supervisor's 临期): red


@dataclass
class Countdown:
    deadline: dt.datetime | None
    start: dt.datetime | None
    colour: str  # green | amber | red | overdue | none
    text: str
    which: str  # sign | resolve | ""

    @property
    def iso(self) -> str:
        return self.deadline.isoformat() if self.deadline else ""

    @property
    def start_iso(self) -> str:
        return self.start.isoformat() if self.start else ""


def duration_text(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)sh %(m)smin") % {"h": hours, "m": minutes}
    return _("%(m)smin") % {"m": max(minutes, 1)}


def colour_for(fraction: float, left: float) -> str:
    if left < 0:
        return "overdue"
    if fraction >= NEAR_DEADLINE_FRACTION:
        return "red"
    if fraction >= AMBER_FRACTION:
        return "amber"
    return "green"


def countdown(ticket, now: dt.datetime | None = None, *, deadline: dt.datetime | None = None) -> Countdown:
    """The ticket's next deadline (the queue's sign-for or resolve deadline) as a coloured countdown."""
    now = now or timezone.now()
    deadline = deadline or getattr(ticket, "next_deadline", None)
    if deadline is None and ticket.status in OPEN_STATUSES:
        deadline = ticket.resolve_by
    if deadline is None:
        return Countdown(None, None, "none", "", "")
    start = ticket.clock_started_at or ticket.received_at
    total = (deadline - start).total_seconds()
    left = (deadline - now).total_seconds()
    fraction = (now - start).total_seconds() / total if total > 0 else 1.0
    colour = colour_for(fraction, left)
    which = "sign" if ticket.sign_by and deadline == ticket.sign_by and deadline != ticket.resolve_by else "resolve"
    if left < 0 and which == "sign":
        text = _("sign-for overdue by %(time)s") % {"time": duration_text(left)}
    elif left < 0:
        text = _("overdue by %(time)s") % {"time": duration_text(left)}
    elif which == "sign":
        text = _("sign for within %(time)s") % {"time": duration_text(left)}
    else:
        text = _("%(time)s left") % {"time": duration_text(left)}
    return Countdown(deadline, start, colour, text, which)


# History entries of dispatch's workflow and of fieldwork, as a person reads them.
EVENT_LABELS = {
    "accept_intake": gettext_lazy("Received and dispatched"),
    "queue_for_dispatch": gettext_lazy("Waiting for manual dispatch"),
    "refuse_intake": gettext_lazy("Not accepted"),
    "answer_from_knowledge_base": gettext_lazy("Answered from the knowledge base"),
    "dispatch": gettext_lazy("Dispatched by hand"),
    "sign_for": gettext_lazy("Signed for"),
    "contact_caller": gettext_lazy("Caller contacted"),
    "contact_attempt": gettext_lazy("Could not reach the caller"),
    "request_return": gettext_lazy("Return requested"),
    "approve_return": gettext_lazy("Return approved, re-dispatched"),
    "refuse_return": gettext_lazy("Return refused"),
    "dispute_return": gettext_lazy("Refused return disputed"),  # [AR-5] the second ruling
    "overturn_refusal": gettext_lazy("Second ruling: refusal overturned"),
    "confirm_refusal_on_dispute": gettext_lazy("Second ruling: refusal confirmed"),
    "file_appeal": gettext_lazy("Deduction appealed"),
    "uphold_appeal": gettext_lazy("Appeal upheld"),
    "reject_appeal": gettext_lazy("Appeal rejected"),
    "request_extension": gettext_lazy("Extension requested"),
    "approve_extension": gettext_lazy("Extension approved"),
    "refuse_extension": gettext_lazy("Extension refused"),
    "co_reply": gettext_lazy("Co-handling done"),
    "reply": gettext_lazy("Replied"),
    "accept_reply": gettext_lazy("Reply accepted, closed"),
    "send_back": gettext_lazy("Reply sent back"),
    "sms_callback": gettext_lazy("SMS callback"),
    "manual_callback": gettext_lazy("Phone callback"),
    "rework": gettext_lazy("Rework"),
    "remind": gettext_lazy("Reminder"),
    "phone_supervision": gettext_lazy("Phone supervision"),
    "written_supervision": gettext_lazy("Written supervision"),
    "flag_repeat": gettext_lazy("Repeat complaint"),
    "flag_callback_overdue": gettext_lazy("Callback overdue"),
    "delegate": gettext_lazy("Delegated"),
    "accept_delegation": gettext_lazy("Delegation accepted"),
    "delegated_contact": gettext_lazy("Caller contacted (community)"),
    "delegated_contact_attempt": gettext_lazy("Could not reach the caller (community)"),
    "submit_community_reply": gettext_lazy("Community draft reply submitted"),
    "approve_community_reply": gettext_lazy("Community draft approved"),
    "send_back_community_reply": gettext_lazy("Community draft sent back"),
    "hand_back": gettext_lazy("Handed back by the community"),
    "withdraw_delegation": gettext_lazy("Delegation withdrawn"),
    "attach_photos": gettext_lazy("Photos added"),
}


def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action.replace("_", " ")))


PART_LABELS = {
    "lead": gettext_lazy("Lead unit"),
    "co": gettext_lazy("Co-handling unit"),
    "delegated": gettext_lazy("Delegated to us"),
    "view": gettext_lazy("For information"),
}


def js_strings() -> dict[str, str]:
    """What the pages' scripts say (countdowns, the outbox, the position), translated like the rest."""
    return {
        "left": _("%(time)s left"),
        "overdue": _("overdue by %(time)s"),
        "sign": _("sign for within %(time)s"),
        "sign_overdue": _("sign-for overdue by %(time)s"),
        "d": _("%(d)sd %(h)sh"),
        "h": _("%(h)sh %(m)smin"),
        "m": _("%(m)smin"),
        "pending": _("%(n)s report(s) waiting to be sent"),
        "sent": _("Sent: %(message)s"),
        "saved": _("No connection: the report is kept on this phone and will be sent when the connection returns."),
        "login": _("Log in again to send the reports kept on this phone."),
        "failed": _("Not sent: %(message)s"),
        "too_many": _("At most %(n)s photos.") % {"n": MAX_PHOTOS},
        "too_big": _("%(name)s is larger than 10 MB."),
        "locating": _("Finding your position…"),
        "no_geo": _("The phone could not give a position: tap the map or type the address."),
        "goes_to": _("Goes to %(office)s"),
        "outside": _("Outside the city"),
        "position": _("Position set"),
        "choose_category": _("Choose the category."),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "send_now": _("Send now"),
    }
