"""Reads of spike alerts, and who may see and answer them [AN-1].

A flare concerns a township, so its audience is the offices that answer for that
township as a whole: the city command center (every township), a sub-center or
county dispatch center (its county's townships) and the township's own service
center. A community workstation sees only its community and a department only
its own assignments (dispatch.selectors.tickets_visible_to), so neither sees a
township-wide flare.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.fields import BooleanField
from django.utils import timezone

from alerts.models import SpikeAlert
from dispatch import policy
from grid.models import Office

if TYPE_CHECKING:
    from grid.models import User


def spikes_visible_to(user: User) -> QuerySet[SpikeAlert]:
    """The alerts of the townships this user's office answers for as a whole (none otherwise)."""
    office: Office | None = getattr(user, "office", None) if user is not None else None
    qs = SpikeAlert.objects.all()
    if office is None or not office.is_active:
        return qs.none()
    if office.kind == Office.Kind.CITY_CENTER:
        return qs
    if office.kind in policy.COUNTY_KINDS:
        return qs.filter(county_code=office.area_code)
    if office.kind == Office.Kind.TOWNSHIP_CENTER:
        return qs.filter(township_code=office.area_code)
    return qs.none()


def with_overdue(qs: QuerySet[SpikeAlert], *, now: dt.datetime | None = None) -> QuerySet[SpikeAlert]:
    """Annotate `report_overdue`: still open after its 2-hour deadline, or reported after it [AN-1]."""
    now = now or timezone.now()
    return qs.annotate(
        report_overdue=Case(
            When(Q(state=SpikeAlert.State.OPEN, report_due__lt=now), then=Value(True)),
            When(Q(state=SpikeAlert.State.REPORTED, reported_at__gt=F("report_due")), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def list_spikes(
    user,
    *,
    state: str = "",
    day: dt.date | None = None,
    township: str = "",
    overdue: bool | None = None,
    now: dt.datetime | None = None,
    limit: int = 200,
) -> list[SpikeAlert]:
    """The user's alerts, open ones first (nearest deadline first), then the newest."""
    qs = with_overdue(spikes_visible_to(user), now=now).select_related(
        "category__parent", "acknowledged_by", "reported_by", "closed_by"
    )
    if state:
        qs = qs.filter(state=state)
    if day:
        qs = qs.filter(day=day)
    if township:
        qs = qs.filter(township_code=township)
    if overdue is not None:
        qs = qs.filter(report_overdue=overdue)
    qs = qs.annotate(
        open_first=Case(When(state=SpikeAlert.State.OPEN, then=Value(0)), default=Value(1)),
    ).order_by("open_first", "report_due", "-detected_at", "-id")
    alerts = list(qs[:limit])
    attach_township_names(alerts)
    return alerts


def spike_for(user: User, alert_id: int, *, now: dt.datetime | None = None) -> SpikeAlert | None:
    alert = (
        with_overdue(spikes_visible_to(user), now=now)
        .select_related("category__parent", "acknowledged_by", "reported_by", "closed_by")
        .filter(id=alert_id)
        .first()
    )
    if alert is not None:
        attach_township_names([alert])
    return alert


def attach_township_names(alerts: list[SpikeAlert]) -> None:
    """Set `township_name` on each alert (one query for the list)."""
    from grid.models import Area

    codes = {a.township_code for a in alerts}
    names = dict(Area.objects.current().filter(code__in=codes).values_list("code", "name") if codes else [])
    for a in alerts:
        a.township_name = names.get(a.township_code, a.township_code)
