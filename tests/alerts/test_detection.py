"""A spike of one category in one township raises a flare with a 2-hour report deadline [AN-1]."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts.detection import detect_spikes
from dispatch.models import Category, Ticket

TZ = timezone.get_current_timezone()
DAY = dt.date(2026, 3, 20)


def tickets(category, township, day, n, tag):
    for i in range(n):
        Ticket.objects.create(
            number=f"S-{tag}-{day:%m%d}-{i}",
            channel="phone",
            kind="complaint",
            description="x",
            status="archived",
            category=category,
            township_code=township,
            received_at=dt.datetime.combine(day, dt.time(9 + i % 8), tzinfo=TZ),
        )


@pytest.mark.django_db
def test_a_category_far_above_its_own_baseline_raises_a_two_hour_flare_AN_1():
    drains, parking = Category.objects.filter(parent__isnull=False).order_by("code")[:2]
    for back in range(1, 29, 4):  # about one drain ticket a week, then nine today
        tickets(drains, "410402002", DAY - dt.timedelta(days=back), 1, "d")
    tickets(drains, "410402002", DAY, 9, "d")
    for back in range(0, 29):  # parking: eight a day every day — busy, not a spike
        tickets(parking, "410402002", DAY - dt.timedelta(days=back), 8, "p")
    now = dt.datetime.combine(DAY, dt.time(17), tzinfo=TZ)
    spikes = detect_spikes(DAY, now=now)
    assert [(s.category_id, s.township_code, s.count) for s in spikes] == [(drains.id, "410402002", 9)]
    assert spikes[0].report_due == now + dt.timedelta(hours=2)
    assert detect_spikes(DAY - dt.timedelta(days=1), now=now) == []
