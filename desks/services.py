"""The desks' own writes: supervision by a person [SV-1] and the third-party evaluation sample [CB-3].

Ticket changes go through dispatch (its policy, its workflow table, its events); what the desks keep
beside the ticket (the numbered 督办单, the evaluator's results) lives in desks.models.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import policy, workflow
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.gateways import gateway, parse_satisfaction
from dispatch.models import Assignment, OutboundMessage, Satisfaction, Status, Ticket
from dispatch.services.common import lock_ticket
from dispatch.workflow import fire

from .models import EvaluationItem, EvaluationSample, Supervision

if TYPE_CHECKING:
    from grid.models import User

LEVEL = {Supervision.Kind.REMINDER: 1, Supervision.Kind.PHONE: 2, Supervision.Kind.WRITTEN: 3}
MEDIUM = {
    Supervision.Kind.REMINDER: OutboundMessage.Medium.SMS,
    Supervision.Kind.PHONE: OutboundMessage.Medium.CALL,
    Supervision.Kind.WRITTEN: OutboundMessage.Medium.LETTER,
}
ANSWER_DAYS = (1, 7)


def _next_number(year: int) -> str:
    """督办单 numbers run per year: DB2026-0001 …; an advisory lock keeps two issuers apart."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('desks.supervision.number'))")
    prefix = f"DB{year}-"
    last = (
        Supervision.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:04d}"


@transaction.atomic
def supervise(*, ticket: Ticket, by: User, kind: str, note: str, answer_days: int = 2) -> Supervision:
    """[SV-1] A dispatcher supervises the lead unit: a reminder (SMS), a phone call, or a written notice with a
    number (the 督办单, a PDF) that waits for the unit's answer within `answer_days` days."""
    ticket = lock_ticket(ticket)
    policy.authorize(ticket, "supervise", by)
    workflow.check(ticket, "supervise")
    if kind not in Supervision.Kind.values:
        raise ValidationError({"kind": _("Choose a reminder, a phone call or a written notice.")})
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": _("Say what the unit must do.")})
    lead = ticket.assignments.filter(is_active=True, role=Assignment.Role.LEAD).select_related("office").first()
    if lead is None:
        raise RuleViolation(_("No unit holds this ticket: dispatch it first."), code="no_lead")
    now = timezone.now()
    number, due = "", None
    if kind == Supervision.Kind.WRITTEN:
        if not ANSWER_DAYS[0] <= int(answer_days) <= ANSWER_DAYS[1]:
            raise ValidationError({"answer_days": _("The unit answers within 1 to 7 days.")})
        number, due = _next_number(timezone.localdate(now).year), now + dt.timedelta(days=int(answer_days))
    notice = Supervision.objects.create(
        ticket=ticket,
        kind=kind,
        number=number,
        to_office=lead.office,
        issued_by=by,
        issued_by_office=by.office,
        issued_at=now,
        note=note,
        answer_due=due,
    )
    fire(ticket, "supervise", by=by, note=note, data={"kind": kind, "number": number, "to": lead.office.code})
    ticket.supervision_level = max(ticket.supervision_level, LEVEL[kind])
    if "supervised" not in ticket.focus_reasons and kind == Supervision.Kind.WRITTEN:
        ticket.focus_reasons = [*ticket.focus_reasons, "supervised"]
    ticket.save()
    gateway().send(
        medium=MEDIUM[kind],
        purpose="supervision",
        ticket=ticket,
        to_office=lead.office,
        text=_("Supervision %(number)s of ticket %(ticket)s: %(note)s")
        % {"number": number or notice.get_kind_display(), "ticket": ticket.number, "note": note},
    )
    return notice


@transaction.atomic
def answer_supervision(*, supervision: Supervision, by: User, answer: str) -> Supervision:
    """[SV-1] The lead unit answers a written notice; the desk shows it beside the notice."""
    ticket = lock_ticket(supervision.ticket)
    if not policy.may_answer_supervision(by, ticket) or by.office_id != supervision.to_office_id:
        raise NotPermitted(_("Only the unit the notice was sent to answers it."), code="not_addressee")
    supervision = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if supervision.kind != Supervision.Kind.WRITTEN:
        raise RuleViolation(_("Only a written notice waits for an answer."), code="not_written")
    if supervision.answered_at:
        raise RuleViolation(_("This notice has been answered already."), code="already_answered")
    answer = (answer or "").strip()
    if len(answer) < 4:
        raise ValidationError({"answer": _("Say what the unit has done.")})
    fire(ticket, "answer_supervision", by=by, note=answer, data={"number": supervision.number})
    supervision.answer, supervision.answered_at, supervision.answered_by = answer, timezone.now(), by
    supervision.save(update_fields=["answer", "answered_at", "answered_by"])
    ticket.save()
    return supervision


def silent_after_written(qs):
    """[AR-3] Written notices past their answer date without an answer: the units for the city-wide notice list."""
    return qs.filter(kind=Supervision.Kind.WRITTEN, answered_at__isnull=True, answer_due__lt=timezone.now())


# -- third-party evaluation [CB-3] ---------------------------------------------------------------

SAMPLE_MAX = 500
SAMPLE_COLUMNS = ["sample", "number", "received", "category", "unit", "phone", "callback", "evaluation", "note"]
LABELS = {Satisfaction.SATISFIED: "1", Satisfaction.BASIC: "2", Satisfaction.UNSATISFIED: "3"}


@transaction.atomic
def draw_sample(*, by: User, size: int, days: int = 30, seed: int | None = None) -> EvaluationSample:
    """[CB-3] A random sample of the tickets this desk called back in the last `days` days, for an outside
    evaluator to call again; the sample is kept so that their results come back to the same tickets."""
    if not 1 <= size <= SAMPLE_MAX:
        raise ValidationError({"size": _("A sample is 1 to %(n)s tickets.") % {"n": SAMPLE_MAX}})
    if not 1 <= days <= 366:
        raise ValidationError({"days": _("Sample from the last 1 to 366 days.")})
    since = timezone.now() - dt.timedelta(days=days)
    ids = list(
        policy.desk_tickets(by)
        .filter(status=Status.ARCHIVED, callback_at__gte=since)
        .exclude(satisfaction="")
        .values_list("id", flat=True)
    )
    if not ids:
        raise RuleViolation(_("No ticket was called back in that period."), code="nothing_to_sample")
    chosen = random.Random(seed).sample(ids, min(size, len(ids)))
    now = timezone.now()
    sample = EvaluationSample.objects.create(
        code=f"EV{timezone.localtime(now):%Y%m%d%H%M%S}-{by.office_id}",
        office=by.office,
        created_at=now,
        created_by=by,
        size=len(chosen),
    )
    EvaluationItem.objects.bulk_create(EvaluationItem(sample=sample, ticket_id=i) for i in sorted(chosen))
    return sample


def sample_csv(sample: EvaluationSample) -> str:
    """The sample as the evaluator gets it: one row per ticket with the caller's phone to call (the evaluator
    works for the center), the callback's result, and empty columns for theirs ("1", "2", "3", a note)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SAMPLE_COLUMNS)
    items = sample.items.select_related("ticket__category", "ticket").order_by("id")
    for item in items:
        t = item.ticket
        lead = t.assignments.filter(role=Assignment.Role.LEAD).select_related("office").order_by("-step").first()
        writer.writerow(
            [
                sample.code,
                t.number,
                f"{timezone.localtime(t.received_at):%Y-%m-%d}",
                t.category.path if t.category_id else "",
                lead.office.name if lead else "",
                t.caller_phone,
                LABELS.get(t.satisfaction, ""),
                LABELS.get(item.satisfaction, ""),
                item.note,
            ]
        )
    return out.getvalue()


@transaction.atomic
def import_results(*, by: User, sample: EvaluationSample, content: str) -> dict[str, int]:
    """[CB-3] The evaluator's file back: each row's result ("1"/"2"/"3" or the words) on the sample's ticket, and
    whether it agrees with the callback. Rows of other samples or tickets are refused with their line numbers."""
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    if not reader.fieldnames or not {"number", "evaluation"} <= set(reader.fieldnames):
        raise ValidationError({"file": _("The file needs the columns number and evaluation.")})
    items = {i.ticket.number: i for i in sample.items.select_related("ticket")}
    errors, updated, agree = [], 0, 0
    now = timezone.now()
    for line, row in enumerate(reader, start=2):
        number = (row.get("number") or "").strip()
        item = items.get(number)
        if item is None:
            errors.append(_("line %(line)s: %(number)s is not in this sample") % {"line": line, "number": number})
            continue
        found = parse_satisfaction(row.get("evaluation") or "")
        if found is None:
            errors.append(_("line %(line)s: the evaluation must be 1, 2 or 3") % {"line": line})
            continue
        item.satisfaction, item.note, item.evaluated_at = found, (row.get("note") or "")[:300], now
        item.agrees = found == item.ticket.satisfaction
        item.save(update_fields=["satisfaction", "note", "evaluated_at", "agrees"])
        updated += 1
        agree += int(item.agrees)
    if errors:
        raise ValidationError({"file": errors[:20]})
    sample.imported_at = now
    sample.save(update_fields=["imported_at"])
    return {"updated": updated, "agree": agree, "disagree": updated - agree}
