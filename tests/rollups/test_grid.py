"""The pre-binned grid (township and street views at zoom ≤ 14) stays exact: after a seeded random
mix of writes its cells equal a fresh count of the tickets binned in Python; its bins are the
tickets' bins; a recount after a load with the triggers off gives the same cells [AN-1]."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from dispatch import analytics
from dispatch.models import Ticket
from maps import selectors as maps
from rollups import selectors
from rollups.services import fold, recount
from tests.helpers import CHANGQING, GUANGMINGLU, RUZHOU, XIATANG, label, make_ticket
from tests.rollups.test_rollups import _step

pytestmark = pytest.mark.django_db

CELL = selectors.GRID_CELL_M


def fresh_grid() -> dict:
    """Every located ticket's cell, binned here in Python from its point (not by the triggers' SQL)."""
    from dispatch.analytics import UNANSWERED_STATUSES

    out: dict = defaultdict(lambda: [0, 0])
    for t in Ticket.objects.filter(point__isnull=False):
        x, y = analytics.mercator(t.point.x, t.point.y)
        state = "refused" if t.status == "refused" else "open" if t.status in UNANSWERED_STATUSES else "done"
        day = timezone.localtime(t.received_at).date()
        cell = out[(day, t.county_code, t.township_code, math.floor(x / CELL), math.floor(y / CELL), state)]
        cell[0] += 1
        cell[1] += t.urgency != "general"
    return {k: tuple(v) for k, v in out.items()}


def grid_cells(table: str = "rollups_gridday") -> dict:
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT day, county_code, township_code, cx, cy, state, sum(tickets), sum(urgent)
                FROM (SELECT day, county_code, township_code, cx, cy, state, tickets, urgent FROM {table}
                      UNION ALL SELECT day, county_code, township_code, cx, cy, state, tickets, urgent
                      FROM rollups_griddelta) c
                GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(tickets) <> 0 OR sum(urgent) <> 0"""
        )
        return {tuple(r[:6]): (int(r[6]), int(r[7])) for r in cur.fetchall()}


def month_cells() -> dict:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT day, county_code, township_code, cx, cy, state, sum(tickets), sum(urgent)
               FROM (SELECT day, county_code, township_code, cx, cy, state, tickets, urgent FROM rollups_gridmonth
                     UNION ALL SELECT date_trunc('month', day)::date, county_code, township_code, cx, cy, state,
                     tickets, urgent FROM rollups_griddelta) c
               GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(tickets) <> 0 OR sum(urgent) <> 0"""
        )
        return {tuple(r[:6]): (int(r[6]), int(r[7])) for r in cur.fetchall()}


def months_of(daily: dict) -> dict:
    out: dict = defaultdict(lambda: [0, 0])
    for (day, *rest), (n, u) in daily.items():
        cell = out[(day.replace(day=1), *rest)]
        cell[0] += n
        cell[1] += u
    return {k: tuple(v) for k, v in out.items() if any(v)}


def assert_grid_exact() -> None:
    fresh = fresh_grid()
    assert grid_cells() == fresh
    assert month_cells() == months_of(fresh)


@pytest.mark.parametrize("seed", [3])
def test_grid_equals_a_fresh_count_after_a_random_mix(users, seed):
    rng = random.Random(seed)
    tickets: list[Ticket] = []
    stage: dict[int, str] = {}
    done = defaultdict(int)
    assert_grid_exact()
    for i in range(70):
        done[_step(rng, users, tickets, stage).split(" ")[0]] += 1
        if rng.random() < 0.2:
            fold()
        if i % 10 == 9:
            assert_grid_exact()
    assert done["move"] >= 1 and done["delete"] >= 1 and done["advance"] >= 5
    fold()
    from rollups.models import GridDelta

    assert not GridDelta.objects.exists()
    assert_grid_exact()
    # A recount (after a load with the triggers off) gives the same cells.
    before = grid_cells()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE rollups_gridday, rollups_gridmonth, rollups_dailycount")
    recount()
    assert grid_cells() == before
    assert selectors.rolled_up_counts() == selectors.fresh_counts()


def _aligned_bbox(codes) -> tuple[float, float, float, float]:
    """A view made of whole grid cells around the tickets (the grid and the tickets then agree at the edge)."""
    pts = [t.point for t in Ticket.objects.filter(township_code__in=codes, point__isnull=False)]
    xs, ys = zip(*(analytics.mercator(p.x, p.y) for p in pts), strict=True)
    step = CELL * 8  # zoom 14's bins for this view are whole blocks of 8 cells at most
    x0, x1 = math.floor(min(xs) / step) * step, (math.floor(max(xs) / step) + 1) * step - 1e-3
    y0, y1 = math.floor(min(ys) / step) * step, (math.floor(max(ys) / step) + 1) * step - 1e-3
    lat = selectors._lat_of
    return (x0 / analytics.MERCATOR_M_PER_DEG, lat(y0), x1 / analytics.MERCATOR_M_PER_DEG, lat(y1))


def _key(b):
    return (b.count, b.open, b.overdue, b.urgent, round(b.lon, 6), round(b.lat, 6), b.number, b.category)


@pytest.mark.parametrize("days", [7, 30, 366])
def test_township_bins_from_the_grid_are_the_tickets_bins(users, days):
    now = timezone.now()
    rng = random.Random(days)
    for i in range(30):
        code = rng.choice([CHANGQING, GUANGMINGLU, XIATANG])
        lon, lat = label(code)
        make_ticket(
            code=code,
            lon=lon + rng.uniform(-0.004, 0.004),
            lat=lat + rng.uniform(-0.004, 0.004),
            category=rng.choice(["0801", "0101"]),
            urgency="urgent" if i % 5 == 0 else "general",
            received_at=now - dt.timedelta(days=rng.randrange(days + 5), hours=rng.randrange(20)),
        )
    t = Ticket.objects.filter(status="dispatched").first()
    Ticket.objects.filter(id=t.id).update(resolve_by=now - dt.timedelta(hours=1))  # overdue
    if days == 30:
        fold()
    user = users["city_dispatcher"]
    since = now - dt.timedelta(days=days)
    bbox = _aligned_bbox(["410402002", "410402001", "410402003", "410402004"])
    qs = maps.scoped(user).filter(received_at__gte=since)
    exact, size = analytics.point_bins(qs, bbox=bbox, zoom=14, now=now)
    assert selectors.grid_serves(size) and size < selectors.MIN_CELL_M
    grid, size2 = selectors.grid_bins(bbox=bbox, zoom=14, since=since, now=now)
    assert size2 == size
    assert sorted(map(_key, grid)) == sorted(map(_key, exact))
    assert sum(b.overdue for b in grid) >= 1
    # The endpoint takes the grid for the city's users at zoom 14 and answers the same.
    data = maps.clusters(user, bbox=bbox, zoom=14, since=since, now=now)
    assert data["total"] == sum(b.count for b in exact)
    assert sorted(f["properties"]["count"] for f in data["features"]) == sorted(b.count for b in exact)
    # A township's own users do not read it (they also see tickets assigned to them elsewhere).
    assert not selectors.covers(users["guangminglu_handler"])


def test_grid_serves_only_whole_blocks_of_cells():
    assert selectors.grid_serves(analytics.cell_size_m(14))
    assert selectors.grid_serves(analytics.cell_size_m(11))
    assert not selectors.grid_serves(analytics.cell_size_m(15))
    assert not selectors.grid_serves(CELL * 3)


def test_an_area_narrows_the_grid(users):
    now = timezone.now()
    made = {
        code: make_ticket(code=code, received_at=now - dt.timedelta(days=2)) for code in (CHANGQING, RUZHOU, XIATANG)
    }
    bbox = (112.2, 33.0, 114.0, 34.5)
    since = now - dt.timedelta(days=10)
    for area in ("410402", "410482"):
        grid, _ = selectors.grid_bins(bbox=bbox, zoom=10, since=since, now=now, area_code=area)
        qs = Ticket.objects.filter(received_at__gte=since, county_code=area)
        exact, _ = analytics.point_bins(qs, bbox=bbox, zoom=10, now=now)
        assert sum(b.count for b in grid) == sum(b.count for b in exact) >= 1
    # Ruzhou's one ticket is a bin of its own: shown as the ticket itself.
    assert [(b.number, b.category) for b in grid] == [(made[RUZHOU].number, made[RUZHOU].category.path)]
