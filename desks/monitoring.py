"""[CB-3] The callback desk's monthly monitoring: per unit, how its replies fared at the callbacks.

For a calendar month (the city's time zone) and the desk's tickets, per unit whose reply the center accepted
in a handling round closed that month (dispatch.HandlingRound; the unit is the round's lead):

* closed — rounds closed (each owes the caller a callback [CB-1]);
* reached — of them, those whose callback recorded a satisfaction (SMS, phone or the caller's own rating);
* satisfied — reached and satisfied or basically satisfied; the satisfaction rate is satisfied / reached;
* evaluated, agreeing — the third-party evaluator's results on those tickets after the closing, and those
  that agreed with the callback; the agreement rate is agreeing / evaluated;
* verified, false — verifying callbacks recorded that month on the unit's replies [AR-5], and those that
  found the reply false.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import Satisfaction
from grid.models import Office

from .models import EvaluationItem, VerifyingCallback
from .verification import closed_rounds, scoped

if TYPE_CHECKING:
    from grid.models import User

COLUMNS = [
    "unit_code",
    "unit",
    "closed",
    "reached",
    "reach_rate",
    "satisfied",
    "satisfaction_rate",
    "evaluated",
    "agreeing",
    "agreement_rate",
    "verified",
    "false_replies",
]


def parse_month(value: str) -> tuple[int, int]:
    """ "YYYY-MM" (empty: this month); ValueError with a message for anything else."""
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    try:
        year, month = (int(p) for p in value.split("-"))
        dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValueError(_("The month is YYYY-MM, e.g. 2026-03; got %(value)s.") % {"value": value[:20]}) from None
    if not 2000 <= year <= 2100:
        raise ValueError(_("The month is YYYY-MM, e.g. 2026-03; got %(value)s.") % {"value": value[:20]})
    return year, month


def bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime(year, month, 1, tzinfo=tz), dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)


def recent_months(n: int = 12) -> list[str]:
    today = timezone.localdate()
    y, m, out = today.year, today.month, []
    for _i in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Row:
    unit: Office
    closed: int = 0
    reached: int = 0
    satisfied: int = 0
    evaluated: int = 0
    agreeing: int = 0
    verified: int = 0
    false: int = 0

    @property
    def reach_rate(self) -> float | None:
        return _rate(self.reached, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.reached)

    @property
    def agreement_rate(self) -> float | None:
        return _rate(self.agreeing, self.evaluated)


def month_rows(user: User, year: int, month: int) -> list[Row]:
    """The month's figures per unit, by unit code (two grouped queries)."""
    start, end = bounds(year, month)
    items = EvaluationItem.objects.filter(ticket=OuterRef("ticket_id"), evaluated_at__gte=OuterRef("closed_at"))
    rounds = (
        closed_rounds(user, start)
        .filter(closed_at__lt=end)
        .annotate(
            evaluated=Exists(items.filter(agrees__isnull=False)),
            agreeing=Exists(items.filter(agrees=True)),
        )
        .values("unit")
        .annotate(
            closed=Count("id"),
            reached=Count("id", filter=~Q(satisfaction="")),
            satisfied=Count("id", filter=Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASIC))),
            n_evaluated=Count("id", filter=Q(evaluated=True)),
            n_agreeing=Count("id", filter=Q(agreeing=True)),
        )
        .values_list("unit", "closed", "reached", "satisfied", "n_evaluated", "n_agreeing")
    )
    figures: dict[int, dict] = {}
    for unit, closed, reached, satisfied, evaluated, agreeing in rounds:
        figures[unit] = {
            "closed": closed,
            "reached": reached,
            "satisfied": satisfied,
            "evaluated": evaluated,
            "agreeing": agreeing,
        }
    verified = (
        scoped(user)
        .filter(recorded_at__gte=start, recorded_at__lt=end)
        .values("case__unit")
        .annotate(n=Count("id"), f=Count("id", filter=Q(outcome__in=VerifyingCallback.FALSE)))
        .values_list("case__unit", "n", "f")
    )
    for unit, n, f in verified:
        figures.setdefault(unit, {}).update(verified=n, false=f)
    offices = Office.objects.in_bulk(list(figures))
    rows = [Row(offices[u], **f) for u, f in figures.items() if u in offices]
    return sorted(rows, key=lambda r: r.unit.code)


def totals(rows: list[Row]) -> Row:
    total = Row(unit=Office(code="", name=_("All units")))
    for r in rows:
        for name in ("closed", "reached", "satisfied", "evaluated", "agreeing", "verified", "false"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return total


def as_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.unit.code,
                r.unit.name,
                r.closed,
                r.reached,
                "" if r.reach_rate is None else r.reach_rate,
                r.satisfied,
                "" if r.satisfaction_rate is None else r.satisfaction_rate,
                r.evaluated,
                r.agreeing,
                "" if r.agreement_rate is None else r.agreement_rate,
                r.verified,
                r.false,
            ]
        )
    return out.getvalue()
