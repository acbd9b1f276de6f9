"""The center's dispatch desk on a ticket already in hand: change the lead, add co-handlers [AS-2],
re-dispatch [AS-1], split a cross-sector request into items [CT-5], merge a duplicate into the ticket
it repeats [SV-2]. Every function takes the reason as `note` and writes the transition's event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import policy, sla, workflow
from dispatch.models import AdditionalCaller, Assignment, Status, Ticket
from dispatch.routing import routing_table
from dispatch.services.common import _office, lock_ticket
from dispatch.services.intake import start_clock
from dispatch.texts import site_text
from dispatch.workflow import fire
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User

MAX_SPLIT_ITEMS = 8
MAX_ITEM_DAYS = 30


def _reason(note: str) -> str:
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": _("Give the reason for this action.")})
    return note


def _who(by) -> str:
    return getattr(by, "display_name", "") or str(by)


def _assign(ticket: Ticket, office: Office, role: str, *, by, why: str, now: dt.datetime) -> Assignment:
    return Assignment.objects.create(
        ticket=ticket, office=office, role=role, step=ticket.step, why=why, dispatched_by=by.office, assigned_at=now
    )


def _offices(codes: Iterable[Office | str], *, field: str) -> list[Office]:
    offices = [_office(c, field=field) for c in codes if c]
    if len({o.pk for o in offices}) != len(offices):
        raise ValidationError({field: _("An office may appear only once among lead and co-handlers.")})
    return offices


def _mark_multi_unit(ticket: Ticket) -> None:
    if "multi_unit" not in ticket.focus_reasons:
        ticket.focus_reasons = [*ticket.focus_reasons, "multi_unit"]  # [SV-3] multi-unit matters


@transaction.atomic
def change_lead(*, ticket: Ticket, by: User, lead: Office | str, note: str) -> Ticket:
    """[AS-2] Another unit leads; the co-handlers stay and the new lead signs for it (the clock runs on)."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "change_lead", by)
    workflow.check(ticket, "change_lead")
    note = _reason(note)
    new_lead = _office(lead, field="lead")
    active = list(ticket.assignments.filter(is_active=True).select_related("office"))
    old = next((a for a in active if a.role == Assignment.Role.LEAD), None)
    if old is not None and old.office_id == new_lead.pk:
        raise ValidationError({"lead": _("%(office)s already leads this ticket.") % {"office": new_lead.name}})
    now = timezone.now()
    for a in active:
        if a.office_id == new_lead.pk or a is old:  # a co-handler promoted leaves its co-handling part
            a.is_active, a.state = False, Assignment.State.CLOSED
            a.save(update_fields=["is_active", "state"])
    _assign(
        ticket,
        new_lead,
        Assignment.Role.LEAD,
        by=by,
        now=now,
        why=site_text(gettext_noop("lead changed by %(who)s: %(note)s [AS-2]"), who=_who(by), note=note),
    )
    fire(
        ticket,
        "change_lead",
        by=by,
        note=note,
        data={"from": old.office.code if old else None, "to": new_lead.code},
    )
    ticket.signed_at = None
    ticket.save()
    return ticket


@transaction.atomic
def add_co_handlers(*, ticket: Ticket, by: User, co_handlers: list[Office | str], note: str) -> Ticket:
    """[AS-2] More units co-handle; the lead (the first receiver) convenes them."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "add_co_handlers", by)
    workflow.check(ticket, "add_co_handlers")
    note = _reason(note)
    offices = _offices(co_handlers, field="co_handlers")
    if not offices:
        raise ValidationError({"co_handlers": _("Name at least one co-handling office.")})
    holding = set(ticket.assignments.filter(is_active=True).values_list("office_id", flat=True))
    taken = [o.name for o in offices if o.pk in holding]
    if taken:
        raise ValidationError(
            {"co_handlers": _("Already on this ticket: %(offices)s.") % {"offices": "、".join(taken)}}
        )
    now = timezone.now()
    why = site_text(gettext_noop("co-handler added by %(who)s: %(note)s [AS-2]"), who=_who(by), note=note)
    for office in offices:
        _assign(ticket, office, Assignment.Role.CO, by=by, now=now, why=why)
    _mark_multi_unit(ticket)
    fire(ticket, "add_co_handlers", by=by, note=note, data={"co": [o.code for o in offices]})
    ticket.save()
    return ticket


@transaction.atomic
def redispatch(
    *, ticket: Ticket, by: User, lead: Office | str, co_handlers: list[Office | str] = (), note: str
) -> Ticket:
    """[AS-1] Take the ticket back from every unit and dispatch it afresh: a new step, a new clock."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "redispatch", by)
    workflow.check(ticket, "redispatch")
    note = _reason(note)
    offices = _offices([lead, *co_handlers], field="co_handlers")
    now = timezone.now()
    ticket.assignments.filter(is_active=True).update(is_active=False, state=Assignment.State.CLOSED)
    ticket.step += 1
    why = site_text(gettext_noop("re-dispatched by %(who)s: %(note)s"), who=_who(by), note=note)
    for i, office in enumerate(offices):
        _assign(ticket, office, Assignment.Role.LEAD if i == 0 else Assignment.Role.CO, by=by, now=now, why=why)
    ticket.signed_at = ticket.replied_at = None
    start_clock(ticket, policy=ticket.sla_policy, start=now)
    if len(offices) > 1:
        _mark_multi_unit(ticket)
    fire(ticket, "redispatch", by=by, note=note, data={"lead": offices[0].code, "co": [o.code for o in offices[1:]]})
    ticket.save()
    return ticket


def _item_clean(item: dict, index: int) -> dict:
    description = (item.get("description") or "").strip()
    errors = {}
    if len(description) < 4:
        errors[f"items.{index}.description"] = _("Describe item %(n)s.") % {"n": index + 1}
    days = item.get("days")
    if days is not None and not (1 <= int(days) <= MAX_ITEM_DAYS):
        errors[f"items.{index}.days"] = _("An item's deadline is 1 to %(n)s days.") % {"n": MAX_ITEM_DAYS}
    if errors:
        raise ValidationError(errors)
    return {"description": description, "lead": _office(item.get("lead"), field=f"items.{index}.lead"), "days": days}


@transaction.atomic
def split_ticket(*, ticket: Ticket, by: User, items: list[dict], note: str) -> list[Ticket]:
    """[CT-5] A cross-sector request becomes items, each a ticket of its own with its own unit and deadline
    (number `<number>-1`, `-2` …, the same caller and place); the request closes with their numbers.

    An item is {"description", "lead" (office or code), "days" (optional: the resolve deadline in days)}.
    """
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "split", by)
    workflow.check(ticket, "split")
    note = _reason(note)
    if not 2 <= len(items) <= MAX_SPLIT_ITEMS:
        raise ValidationError({"items": _("Split into 2 to %(n)s items.") % {"n": MAX_SPLIT_ITEMS}})
    cleaned = [_item_clean(item, i) for i, item in enumerate(items)]
    now = timezone.now()
    base_policy = ticket.sla_policy or sla.policy_for(ticket.urgency, ticket.kind, routing_table().sla_policies)
    children = []
    for i, item in enumerate(cleaned, start=1):
        child = Ticket(
            number=f"{ticket.number}-{i}",
            **{
                f: getattr(ticket, f)
                for f in (
                    "channel",
                    "kind",
                    "nature",
                    "urgency",
                    "category_id",
                    "address",
                    "point",
                    "location_source",
                    "geocode_precision",
                    "geocode_confidence",
                    "area_id",
                    "county_code",
                    "township_code",
                    "community_code",
                    "place_names",
                    "is_central",
                    "center_id",
                    "caller_name",
                    "caller_phone",
                    "caller_email",
                    "received_at",
                    "created_by_id",
                )
            },  # fmt: skip
            description=item["description"],
            focus_reasons=list(ticket.focus_reasons),
            extra={"split_from": ticket.number},
        )
        resolve_by = now + dt.timedelta(days=item["days"]) if item["days"] else None
        start_clock(child, policy=base_policy, start=now, resolve_by=resolve_by)
        event = fire(
            child, "split_item", by=by, note=note, data={"from": ticket.number, "lead": item["lead"].code}, commit=False
        )
        child.save()
        event.ticket = child
        event.save()
        _assign(
            child,
            item["lead"],
            Assignment.Role.LEAD,
            by=by,
            now=now,
            why=site_text(
                gettext_noop("item %(n)s of %(number)s, split by %(who)s [CT-5]"),
                n=i,
                number=ticket.number,
                who=_who(by),
            ),
        )
        children.append(child)
    ticket.assignments.filter(is_active=True).update(is_active=False, state=Assignment.State.CLOSED)
    numbers = [c.number for c in children]
    fire(ticket, "split", by=by, note=note, data={"items": numbers})
    ticket.archived_at = now
    ticket.extra = {**ticket.extra, "split_into": numbers}
    ticket.save()
    return children


@transaction.atomic
def merge_duplicate(*, ticket: Ticket, by: User, into: Ticket | str, note: str) -> Ticket:
    """[SV-2] A duplicate joins the ticket it repeats: its caller (and any callers it took in) become callers of
    the kept ticket, called back with it [CB-1]; the duplicate closes with the kept ticket's number."""
    kept_number = into.number if isinstance(into, Ticket) else (into or "").strip()
    if not kept_number:
        raise ValidationError({"into": _("Give the number of the ticket this one repeats.")})
    if kept_number == ticket.number:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    kept = policy.desk_tickets(by).filter(number=kept_number).first()
    if kept is None:
        raise ValidationError({"into": _("No ticket %(number)s among your center's.") % {"number": kept_number}})
    # lock both rows in one order, so two merges the other way round cannot deadlock
    first, second = sorted([ticket, kept], key=lambda t: t.pk)
    locked = {t.pk: lock_ticket(t) for t in (first, second)}
    dup, kept = locked[ticket.pk], locked[kept.pk]
    policy.authorize(dup, "merge_duplicate", by)
    policy.authorize(kept, "absorb_duplicate", by)
    workflow.check(dup, "merge_duplicate")
    workflow.check(kept, "absorb_duplicate")
    note = _reason(note)
    now = timezone.now()
    moved = 0
    if dup.caller_name or dup.caller_phone:
        AdditionalCaller.objects.create(
            ticket=kept, name=dup.caller_name, phone=dup.caller_phone, from_ticket=dup, added_at=now, added_by=by
        )
        moved += 1
    moved += AdditionalCaller.objects.filter(ticket=dup).update(ticket=kept)
    dup.assignments.filter(is_active=True).update(is_active=False, state=Assignment.State.CLOSED)
    fire(dup, "merge_duplicate", by=by, note=note, data={"into": kept.number})
    dup.archived_at = now
    dup.extra = {**dup.extra, "merged_into": kept.number}
    dup.save()
    fire(kept, "absorb_duplicate", by=by, note=note, data={"from": dup.number, "callers": moved})
    kept.extra = {**kept.extra, "merged": [*kept.extra.get("merged", []), dup.number]}
    kept.save()
    return kept


def is_closed_by_desk(ticket: Ticket) -> bool:
    """Archived by a split or a merge rather than by a callback."""
    return ticket.status == Status.ARCHIVED and bool(ticket.extra.get("split_into") or ticket.extra.get("merged_into"))
