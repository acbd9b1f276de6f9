from django import template
from django.utils.translation import gettext_lazy as _

from dispatch import policy

register = template.Library()


@register.filter
def uses_desks(user) -> bool:
    """Whether the top bar links the center's desks [ORG-1..3]."""
    return bool(getattr(user, "is_authenticated", False)) and policy.may_use_desks(user)


@register.filter
def rules_appeals(user) -> bool:
    """Whether the desks link the appeals queue [AR-5]."""
    return policy.may_rule_on_appeals(user)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


EVENT_NAMES = {
    "accept_intake": _("Routed at intake"),
    "queue_for_dispatch": _("Queued for manual dispatch"),
    "dispatch": _("Dispatched by hand"),
    "sign_for": _("Signed for"),
    "contact_caller": _("Contacted the caller"),
    "contact_attempt": _("Could not reach the caller"),
    "request_return": _("Return requested"),
    "approve_return": _("Return approved, re-dispatched"),
    "refuse_return": _("Return refused"),
    "request_extension": _("Extension requested"),
    "approve_extension": _("Extension approved"),
    "refuse_extension": _("Extension refused"),
    "co_reply": _("Co-handler replied"),
    "reply": _("Replied"),
    "accept_reply": _("Reply accepted"),
    "send_back": _("Reply sent back"),
    "sms_callback": _("SMS callback"),
    "sms_answer": _("SMS answer"),
    "manual_callback": _("Phone callback"),
    "rework": _("Rework"),
    "remind": _("Reminder"),
    "phone_supervision": _("Phone supervision"),
    "written_supervision": _("Written supervision"),
    "supervise": _("Supervised"),
    "answer_supervision": _("Supervision answered"),
    "flag_repeat": _("Repeat complaint"),
    "flag_callback_overdue": _("Callback overdue"),
    "change_lead": _("Lead changed"),
    "add_co_handlers": _("Co-handlers added"),
    "redispatch": _("Re-dispatched"),
    "split": _("Split into items"),
    "split_item": _("Item of a split request"),
    "merge_duplicate": _("Merged as a duplicate"),
    "absorb_duplicate": _("Duplicate merged in"),
    "dispute_return": _("Refused return disputed"),
    "overturn_refusal": _("Second ruling: refusal overturned"),
    "confirm_refusal_on_dispute": _("Second ruling: refusal confirmed"),
    "file_appeal": _("Deduction appealed"),
    "uphold_appeal": _("Appeal upheld"),
    "reject_appeal": _("Appeal rejected"),
}


@register.filter
def event_name(action: str) -> str:
    """The event's name as the center says it (the pages are Chinese; the events keep their codes)."""
    return str(EVENT_NAMES.get(action, action.replace("_", " ")))
