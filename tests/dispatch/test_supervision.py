"""The supervisor: near-deadline and overdue flags, the escalation ladder, repeat complaints, late
callbacks [SV-1][SV-2][SV-3][CB-1]; a pass is idempotent."""

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import OutboundMessage, Status, Ticket
from dispatch.supervision import supervise_once
from tests.helpers import CHANGQING, events, label, make_ticket

pytestmark = pytest.mark.django_db


def urgent():
    """An urgent ticket for 光明路街道 (24 h to resolve), signed for and the caller contacted (so its 6-hour
    reply deadline [SLA-1] is met and only the resolve deadline is watched)."""
    t = make_ticket(urgency="urgent", category="0103", description="光明路口有人占道经营，影响通行")
    t.assignments.update(state="signed", signed_at=t.received_at)
    Ticket.objects.filter(pk=t.pk).update(status=Status.IN_PROGRESS, contacted_at=t.received_at)
    return Ticket.objects.get(pk=t.pk)


def test_near_deadline_overdue_and_long_overdue_escalate_reminder_phone_written_SV_1():
    """[SV-1] ≥ 80% used → reminder; overdue → phone; overdue by the whole allowance → written."""
    t = urgent()
    start = t.clock_started_at
    assert supervise_once(now=start + dt.timedelta(hours=12)).reminders == 0
    report = supervise_once(now=start + dt.timedelta(hours=20))  # 83% used
    t.refresh_from_db()
    assert report.reminders == 1 and t.supervision_level == 1 and t.near_deadline_at and not t.overdue_at
    assert supervise_once(now=start + dt.timedelta(hours=23)).reminders == 0  # already reminded
    supervise_once(now=start + dt.timedelta(hours=25))
    t.refresh_from_db()
    assert t.supervision_level == 2 and t.overdue_at
    supervise_once(now=start + dt.timedelta(hours=49))
    t.refresh_from_db()
    assert t.supervision_level == 3
    assert events(t)[-3:] == ["remind", "phone_supervision", "written_supervision"]
    messages = OutboundMessage.objects.filter(ticket=t).order_by("id")
    assert [(m.medium, m.purpose) for m in messages] == [
        ("sms", "reminder"),
        ("call", "phone_supervision"),
        ("letter", "written_supervision"),
    ]
    assert all(m.to_office.code == "TC-410402002" for m in messages)


def test_steps_owed_while_the_supervisor_was_down_are_all_taken_in_order_SV_1():
    t = urgent()
    report = supervise_once(now=t.clock_started_at + dt.timedelta(days=3))
    assert (report.reminders, report.phone, report.written) == (1, 1, 1)
    assert events(t)[-3:] == ["remind", "phone_supervision", "written_supervision"]


def test_a_pass_run_twice_changes_nothing_the_second_time_SV_1():
    t = urgent()
    now = t.clock_started_at + dt.timedelta(hours=30)
    supervise_once(now=now)
    count = t.events.count(), OutboundMessage.objects.count()
    report = supervise_once(now=now)
    assert (report.reminders, report.phone, report.written) == (0, 0, 0)
    assert (t.events.count(), OutboundMessage.objects.count()) == count


def test_not_signed_for_in_time_gets_a_reminder_SV_1():
    t = make_ticket(category="0103", description="光明路口有人占道经营，影响通行")  # sign for within 1 h
    supervise_once(now=t.received_at + dt.timedelta(minutes=90))
    event = t.events.get(action="remind")
    assert "签收" in event.note
    assert Ticket.objects.get(pk=t.pk).near_deadline_at is None


def test_an_approved_extension_clears_the_flags(as_user):
    t = urgent()
    supervise_once(now=t.clock_started_at + dt.timedelta(hours=21))
    lead = as_user("guangminglu_handler")
    lead.post(
        f"/api/tickets/{t.number}/request-extension/",
        {"days": 2, "reason": "需协调多个部门联合执法", "signed_off_by": "街道主任 张伟"},
        content_type="application/json",
    )
    as_user("city_dispatcher").post(f"/api/tickets/{t.number}/approve-extension/", {}, content_type="application/json")
    t.refresh_from_db()
    assert t.supervision_level == 0 and t.near_deadline_at is None


def test_the_supervise_command_runs_one_pass():
    t = urgent()
    Ticket.objects.filter(pk=t.pk).update(resolve_by=timezone.now() - dt.timedelta(minutes=5))
    call_command("supervise", "--once", verbosity=0)
    assert "phone_supervision" in events(t)


# -- repeat complaints [SV-2] -----------------------------------------------------------------------------


def earlier(days_ago: float, *, status=Status.REPLIED, replied_days_ago: float | None = None, **kw):
    """A ticket received some days ago, in a given state (as the past would have left it)."""
    now = timezone.now()
    t = make_ticket(received_at=now - dt.timedelta(days=days_ago), **kw)
    replied = now - dt.timedelta(days=replied_days_ago) if replied_days_ago is not None else None
    Ticket.objects.filter(pk=t.pk).update(status=status, replied_at=replied, repeat_checked_at=now)
    return Ticket.objects.get(pk=t.pk)


def test_the_same_problem_within_a_month_after_closure_is_a_repeat_SV_2():
    """[SV-2] same category, same community, raised again within a month of the reply: linked, sent up."""
    first = earlier(20, replied_days_ago=15)
    again = make_ticket(description="19号楼下水道又堵了，上次处理完没几天")
    report = supervise_once()
    again.refresh_from_db()
    assert report.repeats == 1 and again.repeat_of == first
    assert again.attention == "county_leader" and "repeat" in again.focus_reasons
    event = again.events.get(action="flag_repeat")
    assert first.number in event.note and event.data["earlier"] == first.number
    letter = OutboundMessage.objects.get(ticket=again, purpose="repeat_to_head")
    assert letter.medium == "letter" and first.number in letter.text


def test_a_repeat_in_a_departments_remit_goes_to_the_unit_head_SV_2():
    first = earlier(10, replied_days_ago=8, category="0801", description="长青社区停水")
    again = make_ticket(category="0801", description="长青社区又停水了，已经是这个月第二次")
    supervise_once()
    again.refresh_from_db()
    assert again.repeat_of == first and again.attention == "unit_head"


def test_still_unresolved_after_6_days_and_raised_again_is_a_repeat_SV_2():
    first = earlier(7, status=Status.IN_PROGRESS)
    again = make_ticket(description="下水道堵了一个星期了还没人来修")
    supervise_once()
    assert Ticket.objects.get(pk=again.pk).repeat_of == first


def test_raised_again_within_6_days_while_unresolved_is_not_a_repeat_SV_2():
    earlier(3, status=Status.IN_PROGRESS)
    again = make_ticket(description="下水道堵了三天了，催一下")
    supervise_once()
    assert Ticket.objects.get(pk=again.pk).repeat_of is None


def test_more_than_a_month_after_closure_or_another_category_is_not_a_repeat_SV_2():
    earlier(50, replied_days_ago=40)
    earlier(10, replied_days_ago=8, category="0201", description="垃圾没清运")
    again = make_ticket(description="下水道堵了，污水外溢")
    supervise_once()
    assert Ticket.objects.get(pk=again.pk).repeat_of is None


def test_within_200_metres_counts_even_across_a_community_border_SV_2():
    lon, lat = label(CHANGQING)
    first = earlier(10, replied_days_ago=9)
    Ticket.objects.filter(pk=first.pk).update(community_code="", point=Point(lon + 0.0015, lat, srid=4326))  # ~140 m
    near = make_ticket(description="下水道堵了，污水外溢")
    supervise_once()
    assert Ticket.objects.get(pk=near.pk).repeat_of == first
    Ticket.objects.filter(pk=first.pk).update(point=Point(lon + 0.004, lat, srid=4326))  # ~370 m
    far = make_ticket(description="下水道堵了，污水外溢到马路上")
    Ticket.objects.filter(pk=near.pk).update(status=Status.ARCHIVED, replied_at=None)  # not a candidate itself
    supervise_once()
    assert Ticket.objects.get(pk=far.pk).repeat_of is None


def test_repeat_detection_checks_each_ticket_once_SV_2():
    earlier(20, replied_days_ago=15)
    make_ticket(description="下水道又堵了")
    assert supervise_once().repeats == 1
    report = supervise_once()
    assert report.repeats == 0 and report.repeat_checked == 0


# -- focus cases [SV-3] and callbacks [CB-1] --------------------------------------------------------------


@pytest.mark.parametrize("channel, reason", [("media", "media"), ("leaders_board", "leader_assigned")])
def test_media_exposed_and_leader_assigned_tickets_are_focus_cases_SV_3(channel, reason):
    """[SV-3] media-exposed and leader-assigned matters are supervised as focus cases."""
    t = make_ticket(channel=channel, category="0103", description="媒体曝光：光明路占道经营长期无人管")
    assert reason in t.focus_reasons


def test_a_callback_not_made_within_2_working_days_is_flagged_CB_1():
    """[CB-1] the center calls back within 2 working days of closing."""
    t = make_ticket()
    due = timezone.now() - dt.timedelta(hours=1)
    Ticket.objects.filter(pk=t.pk).update(status=Status.CLOSED, closed_at=due - dt.timedelta(days=2), callback_due=due)
    assert supervise_once().callback_overdue == 1
    assert events(t)[-1] == "flag_callback_overdue"
    assert supervise_once().callback_overdue == 0
