"""Appeals against a deduction (异议申诉) [AR-5]: a unit appeals one ticket's cost on one metric of a month,
the city center upholds or rejects it, and an upheld appeal revises the stored month.

- `appeal_deadline(year, month)`: appeals are filed until the end of the 5th working day after the month
  closes (APPEAL_WORKING_DAYS; the sources give no figure: five working days is the handling time the
  county rules give an ordinary ticket and a rework);
- `file_appeal(...)`: the unit's staff (dispatch.policy.may_appeal), for a ticket the drill-down lists
  under that metric, with a written reason; one open appeal per (unit, month, ticket, metric), and once
  ruled the ruling is final;
- `rule_appeal(...)`: the city center (dispatch.policy.may_rule_on_appeals) upholds or rejects with its
  reason. Upholding writes an assessment.Exemption for that assignment and metric (the one mechanism
  assessment.metrics honours), marks the stored month stale and recomputes it as the supervisor does
  (assessment.store.store_month), and stores an AssessmentRevision: each unit whose score or rank moved.

Every filing and ruling is a TicketEvent on the ticket (its history is the audit log).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.metrics import COSTS, month_bounds, ranked_unit, unit_costs
from assessment.models import Appeal, AssessmentMonth, AssessmentRevision, AssessmentRow, Exemption
from assessment.store import month_tables, store_month
from dispatch import policy
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Assignment, TicketEvent
from dispatch.sla import add_working_days

if TYPE_CHECKING:
    from grid.models import User

APPEAL_WORKING_DAYS = 5


def appeal_deadline(year: int, month: int) -> dt.datetime:
    """The last moment to appeal a deduction of the month: the end of its 5th working day after the month."""
    _start, end = month_bounds(year, month)
    return add_working_days(end - dt.timedelta(seconds=1), APPEAL_WORKING_DAYS)


def _event(appeal: Appeal, *, action: str, by: User, note: str, at: dt.datetime) -> None:
    ticket = appeal.ticket
    TicketEvent.objects.create(
        ticket=ticket,
        at=at,
        actor=by,
        actor_office=by.office,
        action=action,
        from_status=ticket.status,
        to_status=ticket.status,
        note=note,
        data={
            "appeal": appeal.pk,
            "unit": appeal.unit.code,
            "month": appeal.month.strftime("%Y-%m"),
            "metric": appeal.metric,
            "rule": "AR-5",
        },
    )


def _reason(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if len(text) < 4:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def file_appeal(
    *, by: User, unit_id: int, year: int, month: int, assignment_id: int, metric: str, reason: str
) -> Appeal:
    """[AR-5] The unit appeals the cost of one of its tickets on one metric of the month."""
    if not policy.may_appeal(by, unit_id):
        raise NotPermitted(_("Only the unit's own staff may appeal its deductions."), code="not_your_unit")
    if metric not in COSTS:
        raise ValidationError({"metric": _("No such metric: %(metric)s.") % {"metric": metric}})
    reason = _reason(reason, "reason", _("Say why the deduction is wrong (at least 4 characters)."))
    now = timezone.now()
    deadline = appeal_deadline(year, month)
    if now > deadline:
        raise RuleViolation(
            _("Appeals against %(period)s closed on %(deadline)s.")
            % {"period": f"{year}-{month:02d}", "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
            code="appeal_window_closed",
        )
    found = ranked_unit(unit_id)
    stored = month_tables(year, month)
    unit = stored.unit(unit_id)
    if found is None or unit is None:
        raise RuleViolation(_("Your unit has no figures for this month."), code="not_ranked")
    costs = unit_costs(year, month, found[2], counts=unit.counts, scheme=stored.scheme, now=stored.computed_at)
    cost = next((c for c in costs if c.metric == metric), None)
    row = cost and next((t for t in cost.tickets if t["assignment_id"] == assignment_id), None)
    if row is None:
        raise RuleViolation(
            _("This ticket did not cost your unit points on this metric in %(period)s.") % {"period": stored.period},
            code="no_such_deduction",
        )
    assignment = Assignment.objects.select_related("ticket").get(pk=assignment_id)
    first_day = dt.date(year, month, 1)
    earlier = Appeal.objects.filter(unit_id=unit_id, month=first_day, ticket=assignment.ticket, metric=metric).first()
    if earlier is not None and earlier.state == Appeal.State.OPEN:
        raise RuleViolation(_("This deduction is already under appeal."), code="appeal_open")
    if earlier is not None:  # the constraint allows one open appeal; a ruling is final
        raise RuleViolation(_("This deduction's appeal has been ruled on: the ruling is final."), code="appeal_ruled")
    appeal = Appeal.objects.create(
        unit_id=unit_id,
        month=first_day,
        ticket=assignment.ticket,
        assignment=assignment,
        metric=metric,
        points=cost.points,
        reason=reason,
        filed_at=now,
        filed_by=by,
    )
    _event(appeal, action="file_appeal", by=by, note=reason, at=now)
    return appeal


def _snapshot(header: AssessmentMonth) -> dict[int, tuple[str, str, float | None, int | None]]:
    return {
        r.office_id: (r.name, r.group, r.score, r.rank)
        for r in AssessmentRow.objects.filter(month=header).only("office_id", "name", "group", "score", "rank")
    }


def revise_month(*, year: int, month: int, by: User, reason: str, appeal: Appeal | None = None) -> AssessmentRevision:
    """Recompute a stored month after a ruling changed what counts (the supervisor's path: marked stale, then
    store_month) and keep the revision: when, why, and each unit whose score or rank moved [AR-5]."""
    first_day = dt.date(year, month, 1)
    month_tables(year, month)  # computed first if it never was (or a scheme change left it stale)
    before = _snapshot(AssessmentMonth.objects.get(month=first_day))
    AssessmentMonth.objects.filter(month=first_day).update(stale=True)
    now = timezone.now()
    header = store_month(year, month, now=now)
    after = _snapshot(header)
    changes = []
    for office_id, (name, group, score, rank) in after.items():
        old = before.get(office_id, (name, group, None, None))
        if (old[2], old[3]) != (score, rank):
            changes.append(
                {"office_id": office_id, "name": name, "group": group, "score": [old[2], score], "rank": [old[3], rank]}
            )
    changes.sort(key=lambda c: (c["group"], c["rank"][1] or 999))
    return AssessmentRevision.objects.create(month=header, at=now, by=by, reason=reason, appeal=appeal, changes=changes)


@transaction.atomic
def rule_appeal(*, appeal: Appeal, by: User, uphold: bool, reason: str) -> Appeal:
    """[AR-5] The city center upholds (the deduction is undone and the month revised) or rejects an appeal."""
    if not policy.may_rule_on_appeals(by):
        raise NotPermitted(_("Only a dispatcher of the city command center rules on appeals."), code="center_only")
    appeal = Appeal.objects.select_for_update().select_related("ticket", "unit").get(pk=appeal.pk)
    if appeal.state != Appeal.State.OPEN:
        raise RuleViolation(_("This appeal has already been ruled on."), code="already_ruled")
    reason = _reason(reason, "ruling", _("Give the grounds of the ruling (at least 4 characters)."))
    now = timezone.now()
    appeal.state = Appeal.State.UPHELD if uphold else Appeal.State.REJECTED
    appeal.ruled_at, appeal.ruled_by, appeal.ruling = now, by, reason
    appeal.save(update_fields=["state", "ruled_at", "ruled_by", "ruling"])
    _event(appeal, action="uphold_appeal" if uphold else "reject_appeal", by=by, note=reason, at=now)
    if uphold:
        month_tables(appeal.month.year, appeal.month.month)  # the figures as published, before the exemption
        Exemption.objects.get_or_create(
            assignment_id=appeal.assignment_id,
            metric=appeal.metric,
            defaults={
                "ticket": appeal.ticket,
                "kind": Exemption.Kind.APPEAL_UPHELD,
                "reason": reason,
                "ruled_at": now,
                "ruled_by": by,
            },
        )
        revise_month(
            year=appeal.month.year,
            month=appeal.month.month,
            by=by,
            reason=reason,
            appeal=appeal,
        )
    return appeal
