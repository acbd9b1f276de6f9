"""Properties of the deadline calendar over generated times (hypothesis) [SLA-1][SLA-2][SLA-4][SLA-5][CB-1]:
a deadline never precedes its start, moves forward with the start, is the same in two
steps as in one, runs natural time through holidays, and a working-day deadline
always falls on a working day of the State Council's calendar (or Monday–Friday
in years it has not published)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import sla
from dispatch.models import DurationUnit, SlaPolicy, Status, Ticket
from loaders.reference import REFERENCE_DIR

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module", autouse=True)
def _no_center_entries():
    """The properties are of the packaged calendar and its fallback: the center's own entries (a table,
    tested in test_sla.py) are taken as empty, so these pure functions need no database."""
    entries = sla.calendar_entries
    entries.get = lambda: {}
    yield
    del entries.get


PROPS = settings(max_examples=300, deadline=None)

# Mostly the years the calendar publishes (holidays, 调休 Saturdays), some before and after it.
instants = st.datetimes(
    min_value=dt.datetime(2003, 1, 1), max_value=dt.datetime(2040, 12, 31), timezones=st.sampled_from([CST, dt.UTC])
)
published = st.datetimes(min_value=dt.datetime(2018, 1, 1), max_value=dt.datetime(2026, 11, 30), timezones=st.just(CST))
days = st.integers(0, 30)
natural = st.sampled_from([DurationUnit.MINUTES, DurationUnit.HOURS, DurationUnit.DAYS])
any_unit = st.sampled_from(list(DurationUnit))


def working(day: dt.date) -> bool:
    """The reference the code must agree with, asked of the calendar package directly."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


@given(instants, st.integers(0, 2_000), any_unit)
@PROPS
def test_a_deadline_never_precedes_its_start(start, amount, unit):
    assert sla.add_duration(start, amount, unit) >= start


@given(instants, st.integers(0, 2_000), natural)
@PROPS
def test_natural_time_runs_through_holidays_exactly_SLA_5(start, amount, unit):
    """[SLA-5] minutes, hours and natural days are wall-clock time, holidays or not."""
    seconds = {"minutes": 60, "hours": 3600, "days": 86400}[unit]
    assert sla.add_duration(start, amount, unit) - start == dt.timedelta(seconds=amount * seconds)


@given(instants, instants, st.integers(0, 500), any_unit)
@PROPS
def test_a_later_start_never_gives_an_earlier_deadline(a, b, amount, unit):
    early, late = sorted([a, b])
    assert sla.add_duration(early, amount, unit) <= sla.add_duration(late, amount, unit)


@given(instants, st.integers(0, 400), st.integers(0, 400), natural)
@PROPS
def test_natural_time_in_two_steps_equals_one_step(start, x, y, unit):
    assert sla.add_duration(sla.add_duration(start, x, unit), y, unit) == sla.add_duration(start, x + y, unit)


@given(instants, days, days)
@PROPS
def test_working_days_in_two_steps_equal_one_step_SLA_4(start, x, y):
    """[SLA-4] five working days are five working days, however they are split."""
    assert sla.add_working_days(sla.add_working_days(start, x), y) == sla.add_working_days(start, x + y)


@given(instants, st.integers(1, 30))
@PROPS
def test_a_working_day_deadline_falls_on_a_working_day_at_the_same_time_of_day(start, n):
    deadline = sla.add_working_days(start, n)
    local_start, local_deadline = start.astimezone(CST), deadline.astimezone(CST)
    assert working(local_deadline.date())
    assert local_deadline.time() == local_start.time()
    # exactly n working days lie after the start's date up to and including the deadline's date
    span = (local_deadline.date() - local_start.date()).days
    counted = sum(working(local_start.date() + dt.timedelta(days=i)) for i in range(1, span + 1))
    assert counted == n


@given(published, st.integers(1, 10))
@PROPS
def test_public_holidays_are_skipped_and_make_up_saturdays_count(start, n):
    """Over the published years the calendar's 调休 Saturdays count and its holidays do not."""
    deadline = sla.add_working_days(start, n).date()
    assert not chinese_calendar.is_holiday(deadline)
    if deadline.weekday() >= 5:
        assert chinese_calendar.is_workday(deadline)  # only a make-up working day falls on a weekend


@given(instants)
@PROPS
def test_zero_working_days_is_the_start_itself(start):
    assert sla.add_working_days(start, 0) == start


@given(instants, st.integers(0, 40), st.integers(0, 40))
@PROPS
def test_rework_and_callback_deadlines_follow_the_working_calendar_SLA_4_CB_1(start, rework, callback):
    """[SLA-4] rework in 5 working days, [CB-1] callback in 2, or what the policy says."""
    policy = SlaPolicy(rework_working_days=rework, callback_working_days=callback)
    assert sla.rework_deadline(policy, start=start) == sla.add_working_days(start, rework)
    assert sla.callback_deadline(policy, closed_at=start) == sla.add_working_days(start, callback)
    assert sla.rework_deadline(None, start=start) == sla.add_working_days(start, 5)
    assert sla.callback_deadline(None, closed_at=start) == sla.add_working_days(start, 2)


REFERENCE = json.loads((REFERENCE_DIR / "sla_policies.json").read_text())
policies = st.sampled_from([SlaPolicy(**{k: v for k, v in p.items() if k != "source"}) for p in REFERENCE])


@given(policies, instants)
@PROPS
def test_the_reference_policies_ask_to_sign_before_replying_and_reply_before_resolving_SLA_1_SLA_2(policy, start):
    d = sla.deadlines_for(policy, start=start)
    assert start <= d.sign_by <= d.reply_by <= d.resolve_by


@given(instants, st.integers(1, 10 * 86400), st.integers(-20 * 86400, 20 * 86400))
@PROPS
def test_the_clock_counts_down_to_the_deadline_and_turns_near_then_overdue_SV_1(start, total, elapsed):
    """[SV-1] the running clock: seconds left and the fraction used agree with the deadline."""
    t = Ticket(status=Status.IN_PROGRESS, received_at=start, clock_started_at=start)
    t.resolve_by = start + dt.timedelta(seconds=total)
    now = start + dt.timedelta(seconds=elapsed)
    c = sla.clock(t, now)
    assert c.name == "resolve" and c.deadline == t.resolve_by
    assert c.seconds_left == int((t.resolve_by - now).total_seconds())
    assert c.state == ("overdue" if c.seconds_left < 0 else "near" if elapsed / total >= 0.8 else "ok")
    later = sla.clock(t, now + dt.timedelta(seconds=1))
    assert later.seconds_left < c.seconds_left and later.fraction_used > c.fraction_used
