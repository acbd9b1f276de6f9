"""Weekly and monthly briefings [AN-1][AN-2]: briefings.figures' grouped SQL against a naive
version that loads the period's tickets into Python (ORM objects, one query per repeat-chain
step and per office), on the demo data and on the 1,000,000-ticket bench database of
bench/maps.py when it exists.

    .venv/bin/python bench/briefings.py                      # demo database, then grid12345_bench
    .venv/bin/python bench/briefings.py --database grid12345 # one database only

Also measured: the period's hotspots (the maps' DBSCAN, window stretched to the month), the
page through Django's test client (first load, then cached), and the PDF and Excel downloads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict

from _common import record, setup_django, summary_ms

BENCH_DB = "grid12345_bench"


def timed(fn, repeat: int = 5) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def naive_briefing(qs, period, now):
    """The same figures the obvious way: every ticket of the three periods as an ORM object, counted in
    Python; each repeat followed up its chain one query at a time; one query per office for its replies."""
    from briefings.figures import SLOW_MIN_REPLIES
    from dispatch.models import Assignment, Status, Ticket

    periods = [period.previous().previous(), period.previous(), period]
    bounds = [p.bounds() for p in periods]
    start, end = bounds[2]
    tickets = list(
        qs.exclude(status=Status.REFUSED)
        .filter(received_at__gte=bounds[0][0], received_at__lt=end)
        .select_related("category__parent")
    )
    totals, channels, tops = [0, 0, 0], [Counter(), Counter(), Counter()], [Counter(), Counter(), Counter()]
    current = []
    for t in tickets:
        i = next(k for k, (a, b) in enumerate(bounds) if a <= t.received_at < b)
        totals[i] += 1
        channels[i][t.channel] += 1
        top = (
            t.category.parent.name if t.category and t.category.parent_id else (t.category.name if t.category else "—")
        )
        tops[i][top] += 1
        if i == 2:
            current.append(t)
    roots = Counter()
    for t in current:
        if t.repeat_of_id:
            node = Ticket.objects.get(id=t.repeat_of_id)
            while node.repeat_of_id:
                node = Ticket.objects.get(id=node.repeat_of_id)
            roots[node.number] += 1
    ids = [t.id for t in current]
    by_office = defaultdict(list)
    office_ids = set(
        Assignment.objects.filter(ticket_id__in=ids, role="lead")
        .exclude(state="returned")
        .values_list("office_id", flat=True)
    )
    for office_id in office_ids:
        for a in Assignment.objects.filter(ticket_id__in=ids, role="lead", office_id=office_id).exclude(
            state="returned"
        ):
            if a.replied_at:
                by_office[office_id].append((a.replied_at - a.assigned_at).total_seconds() / 3600)
    least = SLOW_MIN_REPLIES[period.kind]
    medians = {o: statistics.median(h) for o, h in by_office.items() if len(h) >= least}
    callbacks = [t for t in qs.filter(callback_at__gte=start, callback_at__lt=end).exclude(satisfaction="")]
    satisfied = sum(1 for t in callbacks if t.satisfaction in ("satisfied", "basic"))
    return {
        "totals": totals,
        "channels": dict(channels[2]),
        "tops": dict(tops[2]),
        "repeats": sum(roots.values()),
        "medians": medians,
        "callbacks": (len(callbacks), satisfied),
    }


def agree(b, naive) -> bool:
    return (
        b.totals == naive["totals"]
        and {c.code: c.count for c in b.channels if c.count} == naive["channels"]
        and {c.name: c.counts[2] for c in b.categories if c.counts[2]} == naive["tops"]
        and b.repeats_total == naive["repeats"]
        and b.satisfaction.callbacks == naive["callbacks"][0]
        and b.satisfaction.satisfied + b.satisfaction.basic == naive["callbacks"][1]
        and all(abs(s.median_hours - naive["medians"][s.office_id]) < 0.01 for s in b.slowest)
    )


def measure(database: str, repeat: int) -> list[str]:
    from django.core.cache import cache
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = database

    from briefings.exports import briefing_pdf, briefing_xlsx
    from briefings.figures import compute_briefing
    from briefings.periods import current_period
    from briefings.views import period_hotspots
    from dispatch.models import Ticket
    from grid.models import Area, User
    from maps.selectors import scoped

    user = User.objects.select_related("office").get(username="city_dispatcher")
    city = Area.objects.current().get(level="city")
    township = Area.objects.current().get(code="410402002")
    month = current_period("month").previous()
    week = current_period("week").previous()
    now = timezone.now()
    all_tickets = Ticket.objects.count()
    start, end = month.bounds()
    in_month = Ticket.objects.filter(received_at__gte=start, received_at__lt=end).count()
    lines = [
        f"### Database `{database}`: {all_tickets:,} tickets, {in_month:,} received in {month.code}",
        "",
        "| briefing | grouped SQL (briefings.figures) | naive: ORM objects counted in Python | same figures |",
        "|---|---|---|---|",
    ]
    for label, period, area in (
        (f"city, month {month.code}", month, city),
        (f"光明路街道, month {month.code}", month, township),
        (f"city, week {week.code}", week, city),
    ):
        qs = scoped(user, area)
        times, b = timed(lambda qs=qs, period=period: compute_briefing(qs, period, now=now), repeat)
        t0 = time.perf_counter()
        naive = naive_briefing(qs, period, now)
        naive_s = time.perf_counter() - t0
        lines.append(
            f"| {label} ({b.volume.now:,.0f} tickets) | {summary_ms(times)} | {naive_s * 1000:,.0f} ms | {agree(b, naive)} |"
        )
    qs = scoped(user, city)
    b = compute_briefing(qs, month, now=now)
    times, found = timed(lambda: period_hotspots(user, city, month, now=now), max(1, repeat // 2))
    b.hotspots = found
    lines += [
        "",
        f"- The month's hotspots city-wide (DBSCAN per category, {month.days}-day window, the top 8 labelled): "
        f"{summary_ms(times)}; {len(found)} shown.",
    ]
    pdf_t, pdf = timed(lambda: briefing_pdf(b, title="bench", area=city), 2)
    xlsx_t, xlsx = timed(lambda: briefing_xlsx(b, title="bench"), 2)
    lines.append(
        f"- PDF (5 charts, tables): {min(pdf_t) * 1000:,.0f} ms, {len(pdf) / 1024:,.0f} KiB; "
        f"Excel (8 sheets): {min(xlsx_t) * 1000:,.0f} ms."
    )
    client = Client()
    client.force_login(user)
    cache.clear()
    t0 = time.perf_counter()
    r = client.get(f"/briefings/{month.code}/")
    first = time.perf_counter() - t0
    assert r.status_code == 200, r.status_code
    cached, _r = timed(lambda: client.get(f"/briefings/{month.code}/"), 10)
    lines.append(
        f"- The month page `/briefings/{month.code}/` city-wide: first load (figures + hotspots, then cached) "
        f"{first * 1000:,.0f} ms; cached until the next ticket or event: {summary_ms(cached)}."
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", action="append", help="measure this database (default: demo, then bench)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    import os

    os.environ["DB_POOL"] = "0"  # a pooled connection would stay on the first database
    setup_django()
    import psycopg
    from django.conf import settings

    demo = settings.DATABASES["default"]["NAME"]
    databases = args.database or [demo, BENCH_DB]
    s = settings.DATABASES["default"]
    with psycopg.connect(host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], dbname="postgres") as conn:
        present = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    lines = [
        "Every figure of a briefing (volume, channels, category shares over three periods, rising categories, "
        "repeat chains, slowest offices, satisfaction) in a few grouped queries, against loading the tickets "
        "into Python. The naive run is timed once; `same figures` compares what both return.",
        "",
    ]
    for db in databases:
        if db not in present:
            lines.append(f"- `{db}` does not exist (bench/maps.py --generate-only makes it): skipped.")
            continue
        lines += measure(db, args.repeat) + [""]
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Briefings (bench/briefings.py)", lines)


if __name__ == "__main__":
    main()
