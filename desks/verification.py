"""Verifying callbacks (回访复核) for units suspected of false reports (谎报瞒报) [AR-5].

The rules, in one place:

* **The system's suspicion.** Over the last WINDOW_DAYS days, a unit's replies the center accepted (a
  handling round closed by the center, its lead reply by the unit) are *contradicted* when, after that
  reply, the caller said "unsatisfied" at the round's callback (SMS, phone or the caller's own rating), or
  the third-party evaluator found "unsatisfied" [CB-3]. A unit is suspected when at least SIGNAL_MIN of its
  replies were contradicted and they are at least SIGNAL_SHARE of them. The desk lists the suspected units;
  a person decides whether to open a case (the system never opens one by itself).
* **A case.** A person of the center flags a unit (or one ticket, whose unit is its accepting round's lead),
  with the reason. The case puts on the verifying-callback queue: the tickets named, the unit's contradicted
  replies of the window, and a random sample of `sample_size` other tickets of the unit closed in the window
  (drawn with `random.Random(seed)` from their ids in order: the seed is kept, so a sample is reproducible).
  A round already waiting for a verifying callback is not queued twice.
* **The finding.** The agent calls the caller and records: reply confirmed, reply false (problem not
  solved / the unit never contacted the caller) or caller unreachable, with notes (required for a false
  reply). A false reply of a ticket whose verified round is still the closed one sends the ticket to rework
  [SLA-4], through dispatch's own rework path; the unit's month shows it (assessment drill-down) and the
  supervision desk lists it for the city-wide notice [AR-3]. No point deduction: the sources give none.

Every step is a ticket event (`queue_verification`, `verify_reply`, then `rework`), hence an audit row;
opening a case is an audit row of its own.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.services import record as audit
from dispatch import policy, workflow
from dispatch.exceptions import NotPermitted, RuleViolation, TicketNotFound
from dispatch.models import HandlingRound, Reply, Satisfaction, Status, Ticket
from dispatch.services.callback import rework
from dispatch.services.common import lock_ticket
from dispatch.texts import site_text
from grid.models import Office

from .models import EvaluationItem, FalseReportCase, VerifyingCallback

if TYPE_CHECKING:
    from grid.models import User

WINDOW_DAYS = 30
SAMPLE_DEFAULT = 5
SAMPLE_MAX = 50
SIGNAL_MIN = 3
SIGNAL_SHARE = 0.2
VERIFIABLE = (Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)  # the center accepted the reply
Outcome = VerifyingCallback.Outcome


def _require(user: User) -> None:
    if not policy.may_verify_replies(user):
        raise NotPermitted(_("Verifying callbacks are for the dispatchers of a center."), code="not_a_desk")


def _lead_reply(ticket_ref: str = "ticket_id", step_ref: str = "step") -> QuerySet[Reply]:
    return Reply.objects.filter(
        ticket=OuterRef(ticket_ref), step=OuterRef(step_ref), role="lead", review=Reply.Review.ACCEPTED
    ).order_by("-id")


# -- the system's suspicion ------------------------------------------------------------------------------


def closed_rounds(user: User, since: dt.datetime) -> QuerySet[HandlingRound]:
    """The rounds the desk's center closed since `since`, with the unit whose reply it accepted and whether
    the reply was contradicted afterwards."""
    evaluated = EvaluationItem.objects.filter(
        ticket=OuterRef("ticket_id"), satisfaction=Satisfaction.UNSATISFIED, evaluated_at__gte=OuterRef("closed_at")
    )
    return (
        HandlingRound.objects.filter(closed_at__gte=since, ticket__in=policy.desk_tickets(user))
        .annotate(unit=Subquery(_lead_reply().values("office_id")[:1]), evaluator_unsatisfied=Exists(evaluated))
        .filter(unit__isnull=False)
    )


CONTRADICTED = Q(satisfaction=Satisfaction.UNSATISFIED) | Q(evaluator_unsatisfied=True)


@dataclass
class Signal:
    unit: Office
    replies: int
    contradicted: int

    @property
    def share(self) -> float:
        return self.contradicted / self.replies if self.replies else 0.0


def signals(user: User, *, now: dt.datetime | None = None) -> list[Signal]:
    """The units the system suspects of false reports, the most contradicted share first (one query)."""
    since = (now or timezone.now()) - dt.timedelta(days=WINDOW_DAYS)
    rows = (
        closed_rounds(user, since)
        .values("unit")
        .annotate(replies=Count("id"), contradicted=Count("id", filter=CONTRADICTED))
        .filter(contradicted__gte=SIGNAL_MIN)
        .values_list("unit", "replies", "contradicted")
    )
    found = [(u, n, c) for u, n, c in rows if c / n >= SIGNAL_SHARE]
    offices = Office.objects.in_bulk([u for u, _n, _c in found])
    out = [Signal(offices[u], n, c) for u, n, c in found if u in offices]
    return sorted(out, key=lambda s: (-s.share, -s.contradicted, s.unit.code))


def contradicted_rounds(user: User, unit: Office, *, since: dt.datetime) -> list[tuple[int, int]]:
    """(ticket id, step) of the unit's replies contradicted since `since`."""
    return list(
        closed_rounds(user, since)
        .filter(CONTRADICTED, unit=unit.id)
        .order_by("ticket_id", "step")
        .values_list("ticket_id", "step")
    )


def sample_pool(user: User, unit: Office, *, since: dt.datetime) -> list[int]:
    """The ids, in order, of the desk's tickets closed since `since` on a reply of the unit's that the center
    accepted in their current round: what the random sample is drawn from."""
    reply = Reply.objects.filter(
        ticket=OuterRef("pk"), step=OuterRef("step"), role="lead", review=Reply.Review.ACCEPTED, office=unit
    )
    return list(
        policy.desk_tickets(user)
        .filter(status__in=VERIFIABLE, closed_at__gte=since)
        .filter(Exists(reply))
        .order_by("id")
        .values_list("id", flat=True)
    )


# -- opening a case ----------------------------------------------------------------------------------------


def _named(user: User, numbers: list[str]) -> list[tuple[Ticket, Reply]]:
    """The tickets flagged by number, each with the last reply of it the center accepted; a ticket outside the
    desk is a 404, as everywhere."""
    out = []
    for number in numbers:
        ticket = policy.desk_tickets(user).filter(number=number).first()
        if ticket is None:
            raise TicketNotFound(_("No ticket %(number)s at this desk.") % {"number": number}, code="not_found")
        reply = (
            Reply.objects.filter(ticket=ticket, role="lead", review=Reply.Review.ACCEPTED)
            .select_related("office")
            .order_by("-step", "-id")
            .first()
        )
        if reply is None:
            raise ValidationError(
                {"tickets": _("Ticket %(number)s has no accepted reply to verify.") % {"number": number}}
            )
        out.append((ticket, reply))
    return out


@transaction.atomic
def open_case(
    *,
    by: User,
    reason: str,
    unit: Office | None = None,
    tickets: list[str] | None = None,
    sample_size: int = SAMPLE_DEFAULT,
    seed: int | None = None,
    source: str = FalseReportCase.Source.PERSON,
) -> FalseReportCase:
    """[AR-5] Flag a unit (or tickets, whose unit is their accepted reply's) as suspected of false reports and
    put its verifying callbacks on the queue: the tickets named, its contradicted replies, a seeded sample."""
    _require(by)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError({"reason": _("Say why the unit is suspected.")})
    if not 0 <= sample_size <= SAMPLE_MAX:
        raise ValidationError({"sample_size": _("A sample is 0 to %(n)s tickets.") % {"n": SAMPLE_MAX}})
    if source not in FalseReportCase.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    named = _named(by, list(dict.fromkeys(tickets or [])))
    if unit is None and not named:
        raise ValidationError({"unit": _("Name the unit, or the tickets whose replies are suspected.")})
    unit = unit or named[0][1].office
    if any(reply.office_id != unit.id for _t, reply in named):
        raise ValidationError(
            {"tickets": _("Every ticket named must have been replied to by %(unit)s.") % {"unit": unit.name}}
        )
    now = timezone.now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    chosen: dict[tuple[int, int], str] = {}
    for ticket, reply in named:
        chosen.setdefault((ticket.id, reply.step), VerifyingCallback.Why.FLAGGED)
    for key in contradicted_rounds(by, unit, since=since):
        chosen.setdefault(key, VerifyingCallback.Why.SIGNAL)
    picked = {t for t, _s in chosen}
    pool = [i for i in sample_pool(by, unit, since=since) if i not in picked]
    steps = dict(Ticket.objects.filter(id__in=pool).values_list("id", "step"))
    for ticket_id in random.Random(seed).sample(pool, min(sample_size, len(pool))):
        chosen[(ticket_id, steps[ticket_id])] = VerifyingCallback.Why.SAMPLE
    waiting = set(
        VerifyingCallback.objects.filter(outcome="", ticket_id__in=[t for t, _s in chosen]).values_list(
            "ticket_id", "step"
        )
    )
    todo = {k: why for k, why in chosen.items() if k not in waiting}
    if not todo:
        raise RuleViolation(
            _("Nothing to verify: %(unit)s has no reply accepted in the last %(days)s days that is not queued already.")
            % {"unit": unit.name, "days": WINDOW_DAYS},
            code="nothing_to_verify",
        )
    case = FalseReportCase.objects.create(
        center=by.office,
        unit=unit,
        source=source,
        reason=reason,
        opened_by=by,
        opened_at=now,
        seed=seed,
        sample_size=sample_size,
        window_days=WINDOW_DAYS,
    )
    for (ticket_id, step), why in sorted(todo.items()):
        ticket = lock_ticket(Ticket(pk=ticket_id))
        policy.authorize(ticket, "queue_verification", by)
        workflow.fire(
            ticket,
            "queue_verification",
            by=by,
            note=reason,
            data={"case": case.id, "unit": unit.id, "unit_code": unit.code, "why": why, "step": step},
        )
        VerifyingCallback.objects.create(case=case, ticket=ticket, step=step, why=why)
    audit(
        action="verify.case_opened",
        user=by,
        object_type="false_report_case",
        object_id=case.id,
        details={
            "unit": unit.code,
            "reason": reason,
            "source": source,
            "seed": seed,
            "sample_size": sample_size,
            "queued": len(todo),
            "tickets": [t.number for t, _r in named],
        },
    )
    return case


# -- the finding ----------------------------------------------------------------------------------------


@transaction.atomic
def record_outcome(*, by: User, callback: VerifyingCallback, outcome: str, note: str = "") -> VerifyingCallback:
    """[AR-5] What the verifying callback found; a false reply of the round still closed goes to rework [SLA-4]."""
    ticket = lock_ticket(callback.ticket)
    if not (policy.may_verify_replies(by) and policy.desk_tickets(by).filter(pk=ticket.pk).exists()):
        raise TicketNotFound(_("No such ticket."), code="not_found")
    callback = VerifyingCallback.objects.select_for_update().select_related("case__unit").get(pk=callback.pk)
    if callback.outcome:
        raise RuleViolation(_("This verifying callback has been recorded already."), code="already_recorded")
    if outcome not in Outcome.values or outcome == Outcome.PENDING:
        raise ValidationError({"outcome": _("Choose what the callback found.")})
    note = (note or "").strip()
    false = outcome in VerifyingCallback.FALSE
    if false and len(note) < 4:
        raise ValidationError({"note": _("Say what the caller told you: a false reply needs notes.")})
    policy.authorize(ticket, "verify_reply", by)
    goes_back = false and ticket.status in VERIFIABLE and ticket.step == callback.step
    unit = callback.case.unit
    workflow.fire(
        ticket,
        "verify_reply",
        to=Status.CALLBACK_MANUAL if goes_back else workflow.SAME,
        by=by,
        note=note,
        data={
            "outcome": outcome,
            "false": false,
            "unit": unit.id,
            "unit_code": unit.code,
            "case": callback.case_id,
            "step": callback.step,
        },
    )
    if goes_back:
        rework(
            ticket,
            by=by,
            why=site_text(gettext_noop("rework after a reply found false at a verifying callback [AR-5][SLA-4]")),
        )
    ticket.save()
    callback.outcome, callback.note, callback.recorded_by = outcome, note, by
    callback.recorded_at, callback.reworked = timezone.now(), goes_back
    callback.save(update_fields=["outcome", "note", "recorded_by", "recorded_at", "reworked"])
    return callback


# -- reads ------------------------------------------------------------------------------------------------


def scoped(user: User) -> QuerySet[VerifyingCallback]:
    return VerifyingCallback.objects.filter(ticket__in=policy.desk_tickets(user)).select_related(
        "ticket__category", "case__unit", "recorded_by"
    )


def queue(user: User) -> QuerySet[VerifyingCallback]:
    """The verifying callbacks waiting at this desk, the oldest case first."""
    return scoped(user).filter(outcome="").order_by("case__opened_at", "case_id", "id")


def findings(user: User) -> QuerySet[VerifyingCallback]:
    """The verifying callbacks recorded at this desk, the latest first."""
    return scoped(user).exclude(outcome="").order_by("-recorded_at", "-id")


def cases(user: User) -> QuerySet[FalseReportCase]:
    """The cases with a ticket of this desk, the latest first, with their counts."""
    mine = VerifyingCallback.objects.filter(case=OuterRef("pk"), ticket__in=policy.desk_tickets(user))
    return (
        FalseReportCase.objects.filter(Exists(mine))
        .select_related("unit", "opened_by")
        .annotate(
            queued=Count("callbacks"),
            waiting=Count("callbacks", filter=Q(callbacks__outcome="")),
            false=Count("callbacks", filter=Q(callbacks__outcome__in=VerifyingCallback.FALSE)),
        )
    )


def reply_of(callback: VerifyingCallback) -> Reply | None:
    """The unit's reply the callback verifies."""
    return (
        Reply.objects.filter(
            ticket_id=callback.ticket_id, step=callback.step, role="lead", review=Reply.Review.ACCEPTED
        )
        .order_by("-id")
        .first()
    )


def false_replies_by_unit(user: User, *, days: int = 90) -> list[dict]:
    """[AR-3] The units whose replies verifying callbacks found false in the last `days` days, for the
    supervision desk's list of units for the city-wide notice; the most first."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(
        scoped(user)
        .filter(outcome__in=VerifyingCallback.FALSE, recorded_at__gte=since)
        .values("case__unit__id", "case__unit__name")
        .annotate(n=Count("id"), tickets=Count("ticket", distinct=True))
        .order_by("-n", "case__unit__name")
    )
