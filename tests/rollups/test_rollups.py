"""The rollups stay exact: after a seeded random mix of intake, transitions, reworks, refusals,
reclassifications, moves and deletions, the cells (with or without folding in between) equal a
fresh count of the tickets; and the maps and briefings answer the same from them [AN-1][AN-2]."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from briefings.figures import compute_briefing
from briefings.periods import Period
from dispatch import analytics
from dispatch.models import Category, Ticket
from dispatch.services import accept_reply, contact_caller, record_callback, reply, send_back, sign_for
from maps import selectors as maps
from rollups import selectors
from rollups.services import fold
from tests.helpers import CHANGQING, GUANGMINGLU, RUZHOU, WATER_REPLY, XIATANG, label, make_ticket

pytestmark = pytest.mark.django_db

CITY_BBOX = (112.2, 33.0, 114.0, 34.5)
PLACES = [CHANGQING, GUANGMINGLU, XIATANG, RUZHOU, None]


def monthly_of(daily: dict) -> dict:
    out: dict = defaultdict(lambda: [0, 0, 0])
    for (day, *rest), counts in daily.items():
        cell = out[(day.replace(day=1), *rest)]
        for i, n in enumerate(counts):
            cell[i] += n
    return {k: tuple(v) for k, v in out.items() if any(v)}


def township_of(daily: dict, *, months: bool = False) -> dict:
    out: dict = defaultdict(lambda: [0, 0, 0])
    for (day, county, township, _category, _channel, state), counts in daily.items():
        cell = out[(day.replace(day=1) if months else day, county, township, state)]
        for i, n in enumerate(counts):
            cell[i] += n
    return {k: tuple(v) for k, v in out.items() if any(v)}


def township_cells(table: str, *, months: bool = False) -> dict:
    from django.db import connection

    day = "date_trunc('month', day)::date" if months else "day"
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT day, county_code, township_code, state, sum(tickets), sum(urgent), sum(located)
                FROM (SELECT day, county_code, township_code, state, tickets, urgent, located FROM {table}
                      UNION ALL SELECT {day}, county_code, township_code, state, tickets, urgent, located
                      FROM rollups_delta) c
                GROUP BY 1, 2, 3, 4 HAVING sum(tickets) <> 0 OR sum(urgent) <> 0 OR sum(located) <> 0"""
        )
        return {tuple(r[:4]): tuple(int(x) for x in r[4:]) for r in cur.fetchall()}


def assert_exact() -> None:
    fresh = selectors.fresh_counts()
    assert selectors.rolled_up_counts() == fresh
    assert selectors.rolled_up_counts("rollups_monthlycount") == monthly_of(fresh)
    assert township_cells("rollups_townshipday") == township_of(fresh)
    assert township_cells("rollups_townshipmonth", months=True) == township_of(fresh, months=True)


def _step(rng: random.Random, users, tickets: list[Ticket], stage: dict[int, str]) -> str:
    """One random write; returns what it did."""
    handler, center = users["water_handler"], users["city_dispatcher"]
    kind = rng.choice(["intake", "intake", "advance", "advance", "advance", "reclassify", "move", "delete"])
    if kind == "intake" or not tickets:
        days_ago = rng.choice([0, 0, 1, 3, 40, 70])
        t = make_ticket(
            code=rng.choice(PLACES),
            category=rng.choice(["0801", "0801", "0101", "0401"]),
            channel=rng.choice(["phone", "web", "wechat"]),
            urgency=rng.choice(["general", "general", "urgent"]),
            received_at=timezone.now() - dt.timedelta(days=days_ago, minutes=rng.randrange(600)),
        )
        tickets.append(t)
        # the city water company leads water tickets of the central five; a county's go to its own office [ORG-6]
        leads = t.assignments.filter(is_active=True, role="lead", office_id=users["water_handler"].office_id)
        stage[t.id] = "new" if t.category and t.category.code == "0801" and leads.exists() else "other"
        return f"intake {t.status}"
    movable = [t for t in tickets if stage[t.id] in ("new", "signed", "replied", "closed")]
    if kind == "advance" and movable:
        t = rng.choice(movable)
    else:
        t = rng.choice(tickets)
    t.refresh_from_db()
    center = next((u for u in users.values() if u.office_id == t.center_id and "dispatcher" in u.username), center)
    if kind == "advance":
        s = stage[t.id]
        if s == "new" and t.status == "dispatched":
            sign_for(ticket=t, by=handler)
            stage[t.id] = "signed"
        elif s == "signed":
            contact_caller(ticket=t, by=handler, note="电话联系来电人，说明处理安排")  # [HD-1] before the reply
            reply(ticket=t, by=handler, **WATER_REPLY)
            stage[t.id] = "replied"
        elif s == "replied" and rng.random() < 0.4:
            send_back(ticket=t, by=center, note="请补充处理依据")  # rework of the reply [HD-3]
            stage[t.id] = "signed"
        elif s == "replied":
            accept_reply(ticket=t, by=center)
            stage[t.id] = "closed"
        elif s == "closed":
            happy = rng.random() < 0.5
            record_callback(ticket=t, by=center, channel="phone", satisfaction="satisfied" if happy else "unsatisfied")
            stage[t.id] = "archived" if happy else "new"  # unsatisfied: rework, signed for again [SLA-4]
        else:
            stage[t.id] = "other"
            return "nothing to advance"
        return f"advance → {stage[t.id]}"
    if kind == "reclassify":  # no event says where it was counted before
        leaf = Category.objects.filter(parent__isnull=False).order_by("?").first()
        Ticket.objects.filter(id=t.id).update(category=leaf, urgency=rng.choice(["general", "urgent"]))
        stage[t.id] = "other"
        return "reclassify"
    if kind == "move":
        lon, lat = label(rng.choice([CHANGQING, XIATANG]))
        t.point = Point(lon + rng.random() / 100, lat, srid=4326)
        t.township_code = rng.choice([t.township_code, ""])
        t.save(update_fields=["point", "township_code"])
        return "move"
    Ticket.objects.filter(id=t.id).delete()
    tickets.remove(t)
    return "delete"


@pytest.mark.parametrize("seed", [1, 2])
def test_rollups_equal_a_fresh_count_after_a_random_mix(users, seed):
    rng = random.Random(seed)
    tickets: list[Ticket] = []
    stage: dict[int, str] = {}
    done = defaultdict(int)
    assert_exact()  # the migration's first fill
    for i in range(90):
        done[_step(rng, users, tickets, stage).split(" ")[0]] += 1
        if rng.random() < 0.2:
            fold()
        if i % 10 == 9:
            assert_exact()  # cells ∪ unfolded deltas are exact at any moment
    assert done["intake"] >= 10 and done["advance"] >= 10 and done["delete"] >= 1
    # A bulk write moves many tickets at once (one delta row per cell, not per ticket).
    Ticket.objects.filter(id__in=[t.id for t in tickets[:5]]).update(status="archived")
    assert_exact()
    fold()
    fresh = selectors.fresh_counts()
    assert selectors.rolled_up_counts(with_deltas=False) == fresh
    assert selectors.rolled_up_counts("rollups_monthlycount", with_deltas=False) == monthly_of(fresh)
    from rollups.models import Delta

    assert Delta.objects.count() == 0


def test_fold_is_one_at_a_time(users):
    from django.db import connection

    make_ticket()
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", [1_2345_0017])
    try:
        # Another session holds the lock: this one would skip. In one session the lock is re-entrant,
        # so check from a second connection.
        import psycopg

        s = connection.settings_dict
        with psycopg.connect(
            host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], password=s.get("PASSWORD") or None
        ) as other:
            got = other.execute("SELECT pg_try_advisory_xact_lock(%s)", [1_2345_0017]).fetchone()[0]
            assert got is False
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [1_2345_0017])
    assert fold() >= 1


def _bins_by_total(bins):
    return sum(b.count for b in bins), sum(b.open for b in bins), sum(b.overdue for b in bins)


@pytest.mark.parametrize("days", [7, 30, 200])
def test_city_wide_clusters_from_rollups_count_what_the_tickets_count(users, days):
    now = timezone.now()
    for i in range(12):
        make_ticket(
            code=[CHANGQING, XIATANG, RUZHOU][i % 3],
            category="0801" if i % 2 else "0101",
            urgency="urgent" if i % 4 == 0 else "general",
            received_at=now - dt.timedelta(days=i * 11 % (days + 3), hours=i),
        )
    t = Ticket.objects.filter(status="dispatched").first()
    Ticket.objects.filter(id=t.id).update(resolve_by=now - dt.timedelta(hours=1))  # overdue
    if days == 30:
        fold()
    user = users["city_dispatcher"]
    since = now - dt.timedelta(days=days)
    assert selectors.covers(user)
    qs = maps.scoped(user).filter(received_at__gte=since)
    exact, size = analytics.point_bins(qs, bbox=CITY_BBOX, zoom=9, now=now)
    rolled, size2 = selectors.point_bins(bbox=CITY_BBOX, zoom=9, since=since, now=now)
    assert size == size2 >= selectors.MIN_CELL_M
    assert _bins_by_total(rolled) == _bins_by_total(exact)
    assert _bins_by_total(rolled)[2] >= 1
    # The endpoint takes that path for the city's users (a wall at zoom 9) and the same totals come out.
    data = maps.clusters(user, bbox=CITY_BBOX, zoom=9, since=since, now=now)
    assert data["total"] == sum(b.count for b in exact)
    # A category filter (top-level: with its leaves) narrows both alike.
    water = Category.objects.get(code="08")
    rolled_w, _s = selectors.point_bins(bbox=CITY_BBOX, zoom=9, since=since, now=now, category=water)
    exact_w, _s = analytics.point_bins(qs.filter(category__parent=water), bbox=CITY_BBOX, zoom=9, now=now)
    assert _bins_by_total(rolled_w) == _bins_by_total(exact_w)
    # A township's users do not read the cells (they also see tickets assigned to them elsewhere).
    assert not selectors.covers(users["guangminglu_handler"])


def test_a_lone_ticket_shows_as_itself(users):
    now = timezone.now()
    t = make_ticket(code=XIATANG, received_at=now - dt.timedelta(days=2))
    bins, _size = selectors.point_bins(bbox=CITY_BBOX, zoom=9, since=now - dt.timedelta(days=20), now=now)
    lone = [b for b in bins if b.count == 1]
    assert [b.number for b in lone] == [t.number]
    assert lone[0].category == t.category.path


def test_briefing_counts_from_rollups_equal_the_grouped_sql(users):
    rng = random.Random(7)
    now = timezone.now()
    for _i in range(25):
        make_ticket(
            code=rng.choice([CHANGQING, XIATANG, RUZHOU]),
            category=rng.choice(["0801", "0101", "0401"]),
            channel=rng.choice(["phone", "web"]),
            received_at=now - dt.timedelta(days=rng.randrange(80)),
        )
    fold()
    make_ticket(received_at=now - dt.timedelta(days=1))  # left as a delta
    local = timezone.localtime(now)
    period = Period("month", local.year, local.month)
    for code in ("", GUANGMINGLU, "410482"):
        qs = (
            Ticket.objects.all()
            if not code
            else Ticket.objects.filter(township_code=code) | Ticket.objects.filter(county_code=code)
        )
        a = compute_briefing(qs, period, now=now)
        b = compute_briefing(qs, period, now=now, rollup_area=code)
        assert (a.volume, a.totals) == (b.volume, b.totals)
        assert [(c.code, c.count, c.previous) for c in a.channels] == [
            (c.code, c.count, c.previous) for c in b.channels
        ]
        assert [(c.code, c.counts) for c in a.categories] == [(c.code, c.counts) for c in b.categories]
        assert [(r.code, r.count) for r in a.rising] == [(r.code, r.count) for r in b.rising]
    assert a.totals[2] + a.totals[1] + a.totals[0] > 0


def test_the_supervisor_folds(users):
    from core import jobs
    from rollups.models import Delta

    assert "rollups" in [j.name for j in jobs.jobs()]
    make_ticket()
    assert Delta.objects.exists()
    report = jobs.run_jobs(skip={j.name for j in jobs.jobs()} - {"rollups"})
    assert report["rollups"].endswith("deltas folded") and not Delta.objects.exists()
    assert_exact()
