"""Weekly and monthly briefings computed from the tickets, against a small hand-computed
scenario [AN-1][AN-2].

Three ISO weeks of 2026 (W10: 2–8 March, W11: 9–15, W12: 16–22); every ticket received
on the Wednesday of its week at 10:00 local time, in 光明路街道 unless said otherwise.

  week  城市管理/下水道堵塞 0101  城市管理/路灯不亮 0105  交通管理/停车秩序 0401  供水/停水 0801  total
  W10   3                     –                    1                     1            5
  W11   4                     –                    2                     2            8
  W12   5                     1                    7                     1            14 (+1 refused, not counted)

So in W12: 交通管理 7/14 = 50.0 % (W11 25.0 %, W10 20.0 %), 城市管理 6/14 = 42.9 %
(50.0 %, 60.0 %), 供水 1/14 = 7.1 %. Rising (at least 5 tickets in a week): 停车秩序
2 → 7, share 25.0 % → 50.0 % (+25 points); 下水道堵塞 grew 4 → 5 but its share fell
(50.0 % → 35.7 %), so it is not rising; 路灯不亮 has 1 ticket only.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from briefings.figures import compute_briefing
from briefings.periods import BadPeriod, Period, parse_period
from dispatch.models import Assignment, Category, Ticket
from grid.models import Office

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
GUANGMINGLU, XIATANG = "410402002", "410423101"
_seq = itertools.count()


def wednesday(week: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisocalendar(2026, week, 3), dt.time(hour), tzinfo=TZ)


def ticket(week: int, category: str, *, channel: str = "phone", township: str = GUANGMINGLU, **extra) -> Ticket:
    return Ticket.objects.create(
        number=f"B-{next(_seq):05d}",
        channel=channel,
        kind="complaint",
        description="x",
        status=extra.pop("status", "archived"),
        category=Category.objects.get(code=category),
        county_code=township[:6],
        township_code=township,
        received_at=extra.pop("received_at", wednesday(week)),
        **extra,
    )


def lead(t: Ticket, office: Office, *, hours: float | None, state: str = "replied", resolve_in: float = 24) -> None:
    """A lead assignment made at the ticket's intake, replied `hours` later (None: not yet)."""
    t.resolve_by = t.received_at + dt.timedelta(hours=resolve_in)
    t.save(update_fields=["resolve_by"])
    Assignment.objects.create(
        ticket=t,
        office=office,
        role="lead",
        state=state,
        is_active=state != "returned",
        why="test",
        assigned_at=t.received_at,
        replied_at=None if hours is None else t.received_at + dt.timedelta(hours=hours),
    )


@pytest.fixture
def scenario():
    for cat, n in (("0101", 3), ("0401", 1), ("0801", 1)):
        for _ in range(n):
            ticket(10, cat)
    w10_drain = Ticket.objects.filter(category__code="0101").order_by("id").first()
    w11 = [ticket(11, "0101", channel="web" if i < 2 else "phone") for i in range(4)]
    w11 += [ticket(11, "0401") for _ in range(2)] + [ticket(11, "0801") for _ in range(2)]
    # W12: 10 by phone, 3 on the website, 1 by WeChat; and one refused intake, which never counts.
    channels = ["phone"] * 10 + ["web"] * 3 + ["wechat"]
    cats = ["0101"] * 5 + ["0105"] + ["0401"] * 7 + ["0801"]
    w12 = [ticket(12, cat, channel=ch) for cat, ch in zip(cats, channels, strict=True)]
    ticket(12, "0401", status="refused", refusal_reason="emergency")
    # Repeats [SV-2]: three W12 drain tickets go back to the W10 one (one of them through another
    # W12 repeat), one W12 parking ticket repeats a W11 one; and one W11 repeat.
    w12[0].repeat_of = w10_drain
    w12[1].repeat_of = w10_drain
    w12[0].save(), w12[1].save()
    w12[2].repeat_of = w12[1]
    w12[2].save()
    w12[6].repeat_of = w11[4]
    w12[6].save()
    w11[3].repeat_of = w10_drain
    w11[3].save()
    # Offices: the drainage office replies in 2 h, 4 h and 30 h (the last after its 24 h deadline),
    # and had one ticket returned; the parking office 1 h, 1 h, 1 h and one still unanswered after
    # its deadline; the water office answered twice only (too few to be ranked in a week).
    depts = list(Office.objects.filter(kind="department").order_by("code")[:3])
    drains, parking, water = depts
    for t, h in zip(w12[:3], (2, 4, 30), strict=True):
        lead(t, drains, hours=h)
    lead(w12[3], drains, hours=None, state="returned")
    for t, h in zip(w12[6:10], (1, 1, 1, None), strict=True):
        lead(t, parking, hours=h, state="replied" if h else "signed")
    lead(w12[13], water, hours=3)
    lead(w11[6], water, hours=3)
    # Callbacks [CB-1]: in W12 3 satisfied, 1 basic, 1 unsatisfied; in W11 2 satisfied, 2 unsatisfied.
    for t, s in zip(w12[8:13], ("satisfied", "satisfied", "satisfied", "basic", "unsatisfied"), strict=True):
        t.satisfaction, t.callback_at = s, wednesday(12, 16)
        t.save()
    for t, s in zip(w11[:4], ("satisfied", "satisfied", "unsatisfied", "unsatisfied"), strict=True):
        t.satisfaction, t.callback_at = s, wednesday(11, 16)
        t.save()
    # Elsewhere in the city: a W12 parking ticket in 下汤镇, outside 光明路街道.
    ticket(12, "0401", township=XIATANG)
    return {"drains": drains, "parking": parking, "water": water, "w10_drain": w10_drain, "w11_parking": w11[4]}


NOW = wednesday(14)  # the three weeks are over


def test_weeks_and_months_parse_and_step_back_AN_1():
    w = parse_period("2026-W46")
    assert (w.kind, w.start, w.end, w.days) == ("week", dt.date(2026, 11, 9), dt.date(2026, 11, 15), 7)
    assert parse_period("2027-W01").previous() == Period("week", 2026, 53)  # 2026 has 53 ISO weeks
    m = parse_period("2026-01")
    assert (m.start, m.end, m.previous().code, m.next().code) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
        "2025-12",
        "2026-02",
    )
    assert parse_period("2024-02").end == dt.date(2024, 2, 29)
    for bad in ("2025-W53", "2026-13", "2026-W00", "march", "2026-3", ""):
        with pytest.raises(BadPeriod):
            parse_period(bad)


def test_volume_channels_and_change_against_the_previous_week_AN_1(scenario):
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W12"), now=NOW)
    assert (b.volume.now, b.volume.before, b.totals) == (14, 8, [5, 8, 14])
    assert b.volume.relative == pytest.approx(0.75)
    assert [(c.code, c.count, c.previous) for c in b.channels] == [("phone", 10, 6), ("web", 3, 2), ("wechat", 1, 0)]
    assert b.channels[0].share == pytest.approx(10 / 14)
    assert b.complete


def test_category_shares_over_three_weeks_and_the_rising_one_AN_2(scenario):
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W12"), now=NOW)
    shares = {c.name: [round(s * 100, 1) for s in c.shares] for c in b.categories}
    assert shares == {"交通管理": [20.0, 25.0, 50.0], "城市管理": [60.0, 50.0, 42.9], "供水": [20.0, 25.0, 7.1]}
    assert [c.name for c in b.categories] == ["交通管理", "城市管理", "供水"]  # by this week's count
    assert b.categories[0].change == pytest.approx(0.25)
    assert [(r.code, r.previous, r.count) for r in b.rising] == [("0401", 2, 7)]
    assert b.rising[0].share_change == pytest.approx(0.25)
    lines = " ".join(b.headlines)
    assert "交通管理" in lines and "20.0% → 25.0% → 50.0%" in lines
    assert "停车秩序" in lines and "2 → 7" in lines


def test_the_top_category_three_weeks_running_is_said_so_AN_2(scenario):
    """The W11 briefing: 城市管理 led W09 (none), W10 and W11 — but W09 had no tickets, so it is not said."""
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W11"), now=NOW)
    assert b.totals == [0, 5, 8]
    assert "three" not in " ".join(b.headlines) and "连续三" not in " ".join(b.headlines)
    for _ in range(3):  # give W09 some drains: now 城市管理 led W09, W10 and W11
        ticket(9, "0101")
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W11"), now=NOW)
    assert any("城市管理" in line and "100.0% → 60.0% → 50.0%" in line for line in b.headlines)


def test_repeated_complaints_are_grouped_by_the_first_ticket_of_the_chain_SV_2(scenario):
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W12"), now=NOW)
    assert (b.repeats_total, b.repeats_previous) == (4, 1)
    assert [(r.number, r.repeats) for r in b.repeat_chains] == [
        (scenario["w10_drain"].number, 3),  # two direct repeats and one through another repeat
        (scenario["w11_parking"].number, 1),
    ]
    assert b.repeat_chains[0].category == "城市管理/下水道堵塞"


def test_slowest_offices_by_median_hours_to_reply_with_overdue_counts(scenario):
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W12"), now=NOW)
    rows = [(s.name, s.handled, s.replied, s.median_hours, s.mean_hours, s.overdue) for s in b.slowest]
    assert rows == [
        (scenario["drains"].name, 3, 3, 4.0, 12.0, 1),  # the returned assignment is not theirs to answer
        (scenario["parking"].name, 4, 3, 1.0, 1.0, 1),  # unanswered past its deadline: overdue
    ]  # the water office replied once in W12: too few to rank


def test_satisfaction_rate_of_the_callbacks_made_in_the_week_and_its_change_CB_1(scenario):
    b = compute_briefing(Ticket.objects.filter(township_code=GUANGMINGLU), parse_period("2026-W12"), now=NOW)
    s = b.satisfaction
    assert (s.callbacks, s.satisfied, s.basic, s.unsatisfied) == (5, 3, 1, 1)
    assert (s.rate, s.previous_rate) == (pytest.approx(0.8), pytest.approx(0.5))
    assert s.change == pytest.approx(0.3)
    assert any("80.0%" in line and "+30.0" in line for line in b.headlines)


def test_the_city_counts_every_township_and_a_running_month_says_so(scenario):
    city = compute_briefing(Ticket.objects.all(), parse_period("2026-W12"), now=NOW)
    assert city.volume.now == 15  # 14 in 光明路街道 + 1 in 下汤镇
    month = compute_briefing(Ticket.objects.all(), parse_period("2026-03"), now=wednesday(12, 12))
    assert not month.complete
    assert month.volume.now == 5 + 8 + 15
