"""Deadline clocks [SLA-1][SLA-2][SLA-5]: natural time runs on holidays, working days skip them.

Working days follow China's public holidays and make-up working days (调休) as
published by the State Council, from the `chinese-calendar` package; a date
outside its published years falls back to Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from django.utils import timezone

from dispatch.models import OPEN_STATUSES, DurationUnit, SlaPolicy, Status, Ticket

NEAR_DEADLINE_FRACTION = 0.8  # [SV-1] near-deadline: 80% of the time used


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the calendar has not published yet
        return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time of day on the `days`-th working day after start's date."""
    local = timezone.localtime(start)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def add_duration(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """Natural minutes, hours and days run on holidays too [SLA-5]; working days do not."""
    if unit == DurationUnit.MINUTES:
        return start + dt.timedelta(minutes=amount)
    if unit == DurationUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    if unit == DurationUnit.DAYS:
        return start + dt.timedelta(days=amount)
    if unit == DurationUnit.WORKING_DAYS:
        return add_working_days(start, amount)
    raise ValueError(f"unknown duration unit {unit!r}")


@dataclass(frozen=True)
class Deadlines:
    sign_by: dt.datetime
    reply_by: dt.datetime
    resolve_by: dt.datetime


def deadlines_for(policy: SlaPolicy, *, start: dt.datetime) -> Deadlines:
    return Deadlines(
        sign_by=add_duration(start, policy.sign_for, policy.sign_for_unit),
        reply_by=add_duration(start, policy.reply, policy.reply_unit),
        resolve_by=add_duration(start, policy.resolve, policy.resolve_unit),
    )


def policies() -> dict[tuple[str, str], SlaPolicy]:
    return {(p.urgency, p.kind): p for p in SlaPolicy.objects.filter(is_active=True)}


def policy_for(urgency: str, kind: str, table: dict[tuple[str, str], SlaPolicy] | None = None) -> SlaPolicy | None:
    """The active policy for this urgency and kind, else for this urgency and every kind."""
    table = policies() if table is None else table
    return table.get((urgency, kind)) or table.get((urgency, ""))


def rework_deadline(policy: SlaPolicy | None, *, start: dt.datetime) -> dt.datetime:
    """[SLA-4] rework within 5 working days."""
    return add_working_days(start, policy.rework_working_days if policy else 5)


def callback_deadline(policy: SlaPolicy | None, *, closed_at: dt.datetime) -> dt.datetime:
    """[CB-1] call back within 2 working days of closing."""
    return add_working_days(closed_at, policy.callback_working_days if policy else 2)


@dataclass(frozen=True)
class Clock:
    """The clock a ticket runs under now, for 'time left' and supervision."""

    name: str  # sign_for | resolve | callback | none
    deadline: dt.datetime | None
    seconds_left: int | None
    fraction_used: float | None
    state: str  # ok | near | overdue | done

    def as_dict(self) -> dict:
        return {
            "clock": self.name,
            "deadline": self.deadline,
            "seconds_left": self.seconds_left,
            "fraction_used": None if self.fraction_used is None else round(self.fraction_used, 3),
            "state": self.state,
        }


def clock(ticket: Ticket, now: dt.datetime | None = None) -> Clock:
    """Time left on the ticket's running clock: the resolve deadline while a unit works on it,
    the callback deadline once closed."""
    now = now or timezone.now()
    if ticket.status in OPEN_STATUSES and ticket.resolve_by:
        start, deadline, name = ticket.clock_started_at or ticket.received_at, ticket.resolve_by, "resolve"
    elif ticket.status in (Status.CLOSED, Status.CALLBACK_MANUAL) and ticket.callback_due:
        start, deadline, name = ticket.closed_at or ticket.received_at, ticket.callback_due, "callback"
    else:
        return Clock("none", None, None, None, "done")
    total = (deadline - start).total_seconds()
    used = (now - start).total_seconds()
    fraction = used / total if total > 0 else 1.0
    left = int((deadline - now).total_seconds())
    state = "overdue" if left < 0 else ("near" if fraction >= NEAR_DEADLINE_FRACTION else "ok")
    return Clock(name, deadline, left, fraction, state)
