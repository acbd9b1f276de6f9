"""Each handling round is a record of its own [AR-1][SLA-4][AS-3]: a rework or a re-dispatch starts a new
round with its own deadlines and facts, and never rewrites how the earlier round is judged."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.utils import timezone

from assessment.metrics import DEFAULT_SCHEME, office_counts, unit_costs
from dispatch import sla
from dispatch.models import Assignment, HandlingRound, Ticket
from dispatch.services import accept_reply, contact_caller, record_callback, reply, sign_for
from dispatch.supervision import supervise_once
from tests.helpers import WATER_REPLY, make_ticket

pytestmark = pytest.mark.django_db


def _late_first_round_then_rework(users) -> Ticket:
    """A water outage received 8 days ago (general: 5 days [SLA-1]); the water company signs, contacts and
    replies only now, overdue; the caller is unsatisfied twice and the ticket is reworked [CB-2][SLA-4]."""
    received = timezone.now() - dt.timedelta(days=8)
    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知", received_at=received)
    supervise_once()  # phone supervision: overdue
    water, center = users["water_handler"], users["city_dispatcher"]
    sign_for(ticket=t, by=water)
    contact_caller(ticket=t, by=water, note="电话联系王女士，说明停水原因")
    reply(ticket=t, by=water, **WATER_REPLY)
    accept_reply(ticket=t, by=center)
    record_callback(ticket=t, by=center, channel="sms", satisfaction="unsatisfied")
    record_callback(ticket=t, by=center, channel="phone", satisfaction="unsatisfied", note="仍未恢复正常供水")
    return Ticket.objects.get(pk=t.pk)


def _counts(office_id: int, around: dt.datetime) -> dict:
    counts = office_counts(around - dt.timedelta(minutes=5), around + dt.timedelta(minutes=5), now=timezone.now())
    return counts[office_id]


def test_a_unit_late_in_round_one_stays_late_after_a_rework_AR_1_SLA_4(users):
    """[AR-1][SLA-4] The rework round resets the ticket's clock, but round 1 keeps its deadline, its overdue
    flag, its closing and the callback that judged it; the rework unit is judged by round 2's deadline."""
    t = _late_first_round_then_rework(users)
    assert t.step == 2 and t.overdue_at is None  # the ticket's clock is round 2's
    first, second = HandlingRound.objects.filter(ticket=t).order_by("step")
    assert (first.kind, second.kind) == ("first", "rework")
    assert first.overdue_at is not None and first.replied_at > first.resolve_by
    assert first.closed_at is not None and first.satisfaction == "unsatisfied"
    assert first.contacted_at is not None and second.contacted_at is None
    assert first.resolve_by == t.received_at + dt.timedelta(days=5)
    assert second.resolve_by == sla.add_working_days(second.started_at, 5)

    water = users["water_handler"]
    sign_for(ticket=t, by=water)
    contact_caller(ticket=t, by=water, note="再次上门核实，约定复查时间")
    reply(ticket=t, by=water, **WATER_REPLY)
    supervise_once()  # nothing overdue in round 2

    lead1, lead2 = Assignment.objects.filter(ticket=t, role="lead").order_by("step")
    one, two = _counts(lead1.office_id, lead1.assigned_at), _counts(lead2.office_id, lead2.assigned_at)
    # round 1: late, overdue, reworked, its unsatisfied callback counted against it
    assert (one["overdue"], one["replied_on_time"], one["due"], one["reworked"]) == (1, 0, 1, 1)
    assert (one["contacted"], one["closed"], one["callbacks"], one["satisfied"]) == (1, 1, 1, 0)
    # round 2: judged by its own 5-working-day deadline
    assert (two["overdue"], two["replied_on_time"], two["reworked"], two["closed"]) == (0, 1, 0, 0)
    assert two["contacted"] == 1 and two["callbacks"] == 0

    # the drill-down names the round-1 ticket among those that cost the overdue penalty [AR-1]
    start = lead1.assigned_at
    costs = unit_costs(
        start.year,
        timezone.localtime(start).month,
        [lead1.office_id],
        counts=office_counts(*_month(start), now=timezone.now())[lead1.office_id],
        scheme=DEFAULT_SCHEME,
        now=timezone.now(),
    )
    overdue = next(c for c in costs if c.metric == "overdue")
    assert t.id in {r["ticket_id"] for r in overdue.tickets}


def _month(at: dt.datetime):
    from assessment.metrics import month_bounds

    local = timezone.localtime(at)
    return month_bounds(local.year, local.month)


def test_a_re_dispatched_ticket_keeps_the_returning_units_round_AS_3(users):
    """[AS-3] A return approved by the center opens a re-dispatch round; the first round keeps its sign-for."""
    from dispatch.services import approve_return, request_return

    t = make_ticket(category="0101")
    station = users["changqing_head"]
    sign_for(ticket=t, by=station)
    request_return(
        ticket=t, by=station, reason="下水道为市政主管网，不属于社区管理范围", suggested_office="DEPT-urban-management"
    )
    approve_return(ticket=t, by=users["city_dispatcher"])
    first, second = HandlingRound.objects.filter(ticket=t).order_by("step")
    assert (first.kind, second.kind) == ("first", "redispatch")
    assert first.signed_at is not None and second.signed_at is None
    assert second.started_at > first.started_at


def test_the_backfill_rebuilds_earlier_rounds_from_what_survives_of_them_AR_1(users):
    """The data migration: tickets reworked before rounds were kept get their earlier round back from
    their assignments, replies and events (overdue from the phone supervision, the unsatisfied callback)."""
    migration = importlib.import_module("dispatch.migrations.0007_handling_rounds")
    t = _late_first_round_then_rework(users)
    kept = list(HandlingRound.objects.filter(ticket=t).order_by("step").values())
    with connection.cursor() as cur:
        cur.execute("DELETE FROM dispatch_handlinground")
        for sql in migration.BACKFILL:
            cur.execute(sql)
    first, second = HandlingRound.objects.filter(ticket=t).order_by("step")
    assert (first.kind, second.kind) == ("first", "rework")
    assert first.overdue_at is not None and first.closed_at == kept[0]["closed_at"]
    assert first.satisfaction == "unsatisfied"
    assert abs(first.contacted_at - kept[0]["contacted_at"]) < dt.timedelta(seconds=1)  # its event's time
    assert first.resolve_by is None  # overwritten by the rework before rounds were kept: not invented
    assert second.resolve_by == kept[1]["resolve_by"]
