"""The demo history generator, on a small count: every state, realistic patterns, valid histories,
deterministic from a seed, idempotent."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from dispatch.models import Status, Ticket, TicketEvent
from dispatch.workflow import path_is_valid
from loaders.demo import load_demo, season_factor

pytestmark = pytest.mark.django_db
END = timezone.make_aware(dt.datetime(2026, 11, 20, 10))


def signature(seed: int) -> list[tuple]:
    return list(
        Ticket.objects.filter(external_id__startswith=f"demo:{seed}:")
        .order_by("external_id")
        .values_list("external_id", "category__code", "status", "received_at", "description", "point", "resolve_by")
    )


def test_a_week_of_demo_tickets_has_every_state_and_valid_histories():
    report = load_demo(count=1500, seed=1, days=7, end=END)
    assert report.created == 1500
    assert set(report.statuses) == {s.value for s in Status}
    tickets = Ticket.objects.filter(external_id__startswith="demo:1:")
    events_by_ticket: dict[int, list] = {}
    for e in TicketEvent.objects.filter(ticket__in=tickets).order_by("at", "id"):
        events_by_ticket.setdefault(e.ticket_id, []).append(e)
    for t in tickets:
        history = events_by_ticket[t.id]
        assert path_is_valid([(e.action, e.to_status) for e in history]), (t.number, [e.action for e in history])
        assert history[-1].to_status == t.status
        assert all(a.at <= b.at for a, b in zip(history, history[1:]))
        assert history[-1].at <= timezone.now()
    assert tickets.filter(status="archived", satisfaction="").exclude(kb_article__isnull=False).count() == 0
    assert tickets.filter(repeat_of__isnull=False).exists()  # the supervisor pass links repeats


def test_demo_patterns_drains_and_parking_in_the_centre_heating_in_winter_noise_in_summer():
    load_demo(count=2000, seed=2, days=183, end=END)
    tickets = Ticket.objects.filter(external_id__startswith="demo:2:")
    by_top = Counter(tickets.values_list("category__parent__name", flat=True))
    assert by_top.most_common(1)[0][0] == "城市管理"  # [AN-2] the top category
    assert 0.08 < by_top["城市管理"] / 2000 < 0.25
    urban = tickets.filter(category__code__in=["0101", "0401"])
    assert urban.filter(is_central=True).count() / urban.count() > 0.7
    heating = tickets.filter(category__code__in=["0701", "0702"])
    in_season = heating.filter(received_at__gte=timezone.make_aware(dt.datetime(2026, 11, 15)))
    assert heating.count() and in_season.count() / heating.count() > 0.5  # five days of 183 hold most of them
    noise = tickets.filter(category__code="1101")
    summer = noise.filter(received_at__month__in=[6, 7, 8]).count()
    autumn = noise.filter(received_at__month__in=[10, 11]).count()
    assert summer > 2 * autumn
    assert season_factor("0701", dt.date(2026, 12, 1)) > 10 * season_factor("0701", dt.date(2026, 9, 1))


def test_the_same_seed_gives_the_same_tickets_and_a_second_load_adds_nothing():
    load_demo(count=300, seed=3, days=30, end=END)
    first = signature(3)
    assert load_demo(count=300, seed=3, days=30, end=END).skipped
    assert signature(3) == first
    load_demo(count=300, seed=3, days=30, end=END, force=True)
    assert signature(3) == first
    assert Ticket.objects.filter(external_id__startswith="demo:3:").count() == 300
    load_demo(count=300, seed=4, days=30, end=END)
    assert [r[1:] for r in signature(4)] != [r[1:] for r in first]


def test_the_command_refuses_bad_arguments():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("load_demo_tickets", "--count", "0", verbosity=0)
    with pytest.raises(CommandError):
        call_command("load_demo_tickets", "--end", "2999-01-01T00:00", verbosity=0)
    with pytest.raises(CommandError):
        call_command("load_demo_tickets", "--end", "tomorrow", verbosity=0)
