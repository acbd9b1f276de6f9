"""Deadline clocks [SLA-1][SLA-2][SLA-5]: natural time runs on holidays, working days skip them.

Working days follow China's public holidays and make-up working days (调休) as published by the State
Council: first the center's own calendar (`CalendarDay`, kept in the admin: a year the package does not
hold yet, or a local correction), then the `chinese-calendar` package; a date in neither falls back to
Monday–Friday, and `manage.py check` warns from December on when next year is in neither.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from django.core import checks
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from dispatch.models import OPEN_STATUSES, CalendarDay, DurationUnit, SlaPolicy, Status, Ticket

NEAR_DEADLINE_FRACTION = 0.8  # [SV-1] near-deadline: 80% of the time used
CALENDAR_RELOAD_SECONDS = 60  # other processes see an admin's entry within this time


@lru_cache(maxsize=4096)
def published_working_day(day: dt.date) -> bool | None:
    """The packaged State Council calendar's answer, or None for a year it does not hold."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


class _Entries:
    """The center's calendar entries, read once per process and again after CALENDAR_RELOAD_SECONDS (or at
    once in the process that saved one)."""

    def __init__(self) -> None:
        self.days: dict[dt.date, bool] = {}
        self.years: frozenset[int] = frozenset()
        self.loaded_at: float | None = None

    def get(self) -> dict[dt.date, bool]:
        if self.loaded_at is None or time.monotonic() - self.loaded_at > CALENDAR_RELOAD_SECONDS:
            self.days = dict(CalendarDay.objects.values_list("day", "is_working"))
            self.years = frozenset(d.year for d in self.days)
            self.loaded_at = time.monotonic()
        return self.days

    def forget(self, **_kwargs) -> None:
        self.loaded_at = None


calendar_entries = _Entries()
post_save.connect(calendar_entries.forget, sender=CalendarDay, dispatch_uid="sla.calendar.save")
post_delete.connect(calendar_entries.forget, sender=CalendarDay, dispatch_uid="sla.calendar.delete")


def is_working_day(day: dt.date) -> bool:
    entry = calendar_entries.get().get(day)
    if entry is not None:
        return entry
    published = published_working_day(day)
    return day.weekday() < 5 if published is None else published


def calendar_known(year: int) -> bool:
    """Whether the holidays of `year` are known: packaged, or entered by the center."""
    calendar_entries.get()
    return published_working_day(dt.date(year, 6, 1)) is not None or year in calendar_entries.years


@checks.register(checks.Tags.database, deploy=False)
def check_calendar(app_configs=None, *, today: dt.date | None = None, **kwargs) -> list[checks.CheckMessage]:
    """From December on, warn while next year's holidays are unknown: deadlines in working days would run
    over New Year and the Spring Festival as if they were working days."""
    if not kwargs.get("databases"):
        return []
    today = today or timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    try:
        calendar_entries.get()
    except DatabaseError:  # `migrate` checks before it creates the table
        return []
    return [
        checks.Warning(
            f"The holidays of {year} are not in the working-day calendar: working-day deadlines fall back to "
            "Monday-Friday.",
            hint="Enter the State Council's holiday notice for that year in the admin (工作日历), or upgrade "
            "the chinesecalendar package.",
            id="dispatch.W001",
        )
        for year in years
        if not calendar_known(year)
    ]


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


# From the least to the most urgent: a more urgent ticket never gets more time than a less urgent one.
URGENCY_ORDER = ("general", "urgent", "extra_urgent")
# Policies are compared by the deadlines they give from one fixed start (a Monday morning).
_REFERENCE_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _own_policy(urgency: str, kind: str, table: dict[tuple[str, str], SlaPolicy]) -> SlaPolicy | None:
    return table.get((urgency, kind)) or table.get((urgency, ""))


def _tightness(policy: SlaPolicy) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    d = deadlines_for(policy, start=_REFERENCE_START)
    return d.resolve_by, d.reply_by, d.sign_by


def policy_for(urgency: str, kind: str, table: dict[tuple[str, str], SlaPolicy] | None = None) -> SlaPolicy | None:
    """The policy a ticket of this urgency and kind runs under [SLA-1][SLA-2].

    Its own: the active policy for this urgency and kind, else for this urgency and every kind. But an
    urgent or extra-urgent ticket never gets more time than a less urgent one of the same kind: when a
    less urgent level's policy for the kind is tighter (an urgent consultation: the 4-hour consultation
    policy [SLA-2], not the urgent 24 hours [SLA-1]), that one applies.
    """
    table = policies() if table is None else table
    own = _own_policy(urgency, kind, table)
    if urgency not in URGENCY_ORDER:
        return own
    best = own
    for lower in URGENCY_ORDER[: URGENCY_ORDER.index(urgency)]:
        candidate = _own_policy(lower, kind, table)
        if candidate is not None and (best is None or _tightness(candidate) < _tightness(best)):
            best = candidate
    return best


def activate_policy(*, policy: SlaPolicy) -> SlaPolicy:
    """Make `policy` the one in force for its urgency and kind (the others of that pair are deactivated):
    how the center switches, e.g., general tickets to the Suqian 12-hour policy [SLA-2] (docs/sla.md)."""
    from django.db import transaction

    with transaction.atomic():
        SlaPolicy.objects.filter(urgency=policy.urgency, kind=policy.kind, is_active=True).exclude(pk=policy.pk).update(
            is_active=False
        )
        policy.is_active = True
        policy.save(update_fields=["is_active"])  # its post_save drops the cached routing table
    return policy


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
