"""The demo history shows the hotspots the briefings talk about [AN-2]: blocked drains and
disorderly parking clustered in the central districts, found by the default rules."""

import datetime as dt

import pytest
from django.utils import timezone

from dispatch.models import Ticket
from grid.models import Area
from loaders.demo import load_demo
from maps.hotspots import find_hotspots

pytestmark = pytest.mark.django_db

END = timezone.make_aware(dt.datetime(2026, 11, 20, 12, 0))


def test_the_demo_history_has_drain_and_parking_hotspots_in_the_central_districts():
    # The full demo's density (20,000 tickets over 183 days) over four weeks.
    load_demo(count=3000, seed=12345, days=28, end=END)
    found = find_hotspots(Ticket.objects.all(), now=END)
    assert found, "no hotspot in the demo history"
    central = set(Area.objects.filter(level="county", is_central=True).values_list("code", flat=True))
    kinds = {f.cluster.category_code for f in found}
    assert kinds <= {"0101", "0401"} and kinds & {"0101", "0401"}
    assert all(f.cluster.county_code in central for f in found)
    assert all(f.label.split(" · ")[0].endswith(("街道", "镇", "乡", "管委会")) for f in found), [
        f.label for f in found
    ]
