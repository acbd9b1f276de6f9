"""Ten million tickets over five years (issue 17 item 6), in a separate bench database.

    nice -n 19 .venv/bin/python bench/scale.py generate        # the tickets (bulk SQL), newest first
    nice -n 19 .venv/bin/python bench/scale.py prepare         # rollups migration, lead assignments of a year
    .venv/bin/python bench/scale.py measure                    # every figure, next to the naive path

The tickets come from bench/maps.py's bulk SQL (generate_series from the communities' label
points, hotspot clusters, time order inside each chunk), spread over `--days` (5 years). The
chunks are written newest first, so a run stopped early still holds the recent years the views
ask for (and says how far back it reached). Measured, each beside the path without rollups in
the same process: city-wide clusters over 7 days, 30 days and a year; a township view; hotspots
over 30 days; a month's assessment; a briefing; GET /api/tickets/ for a county dispatcher; the
database size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import ROOT, percentile, record, summary_ms

DB = "grid12345_bench10m"


def setup(database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DB_POOL"] = "0"
    import django

    django.setup()
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = database


def _bench_maps():
    """bench/maps.py (its name would shadow the maps app on the path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_maps", ROOT / "bench" / "maps.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The load's own shortcuts (issue 17 item 6: the whole 10M must land): every secondary index and
# unique constraint of dispatch_ticket is dropped for the load and rebuilt once at the end (one
# sorted build each instead of 20 indexes maintained row by row), its triggers are off (the rollup
# triggers and the foreign-key checks: the seeds are the database's own areas and categories; the
# rollups are recounted set-based afterwards) and autovacuum leaves it alone. What was dropped is
# kept in bench_saved_ddl inside the database, so a run stopped half-way is finished by the next.
_SAVE_DDL = """
CREATE TABLE IF NOT EXISTS bench_saved_ddl (seq serial PRIMARY KEY, ddl text NOT NULL);
INSERT INTO bench_saved_ddl (ddl)
SELECT format('ALTER TABLE dispatch_ticket ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE conrelid = 'dispatch_ticket'::regclass AND contype IN ('u', 'x')
  AND NOT EXISTS (SELECT 1 FROM bench_saved_ddl)
UNION ALL
SELECT pg_get_indexdef(i.indexrelid)
FROM pg_index i WHERE i.indrelid = 'dispatch_ticket'::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND NOT EXISTS (SELECT 1 FROM bench_saved_ddl);
"""


def _strip_ticket_table(cur) -> int:
    """Drop dispatch_ticket's secondary indexes and unique constraints (saved first), switch its
    triggers and autovacuum off; how many definitions are saved."""
    cur.execute(_SAVE_DDL)
    cur.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'dispatch_ticket'::regclass AND contype IN ('u', 'x')"
    )
    for (name,) in cur.fetchall():
        cur.execute(f'ALTER TABLE dispatch_ticket DROP CONSTRAINT "{name}"')
    cur.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'dispatch_ticket'::regclass AND NOT i.indisprimary"
    )
    for (name,) in cur.fetchall():
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("ALTER TABLE dispatch_ticket DISABLE TRIGGER ALL")
    cur.execute("ALTER TABLE dispatch_ticket SET (autovacuum_enabled = false)")
    cur.execute("SELECT count(*) FROM bench_saved_ddl")
    return cur.fetchone()[0]


def _restore_ticket_table(cur) -> None:
    """Rebuild what _strip_ticket_table dropped, triggers and autovacuum back on."""
    cur.execute("SET maintenance_work_mem = '1GB'")
    cur.execute("SELECT seq, ddl FROM bench_saved_ddl ORDER BY seq")
    for seq, ddl in cur.fetchall():
        t0 = time.perf_counter()
        cur.execute(ddl)
        cur.execute("DELETE FROM bench_saved_ddl WHERE seq = %s", [seq])
        print(f"  rebuilt in {time.perf_counter() - t0:.0f} s: {ddl[:110]}", flush=True)
    cur.execute("DROP TABLE bench_saved_ddl")
    cur.execute("ALTER TABLE dispatch_ticket ENABLE TRIGGER ALL")
    cur.execute("ALTER TABLE dispatch_ticket RESET (autovacuum_enabled)")


def generate(total: int, days: int, chunk: int) -> None:
    """Fill BEN-00000001 … BEN-{total} from the top down, skipping what is there."""
    from django.db import connection
    from django.utils import timezone

    bench_maps = _bench_maps()
    GENERATE_SQL, INSERT_SQL = bench_maps.GENERATE_SQL, bench_maps.INSERT_SQL  # noqa: N806

    from django.core.management import call_command

    call_command("migrate", "--noinput", "-v", "0")  # the rollups' tables and triggers before the load
    now = timezone.now()
    started = time.perf_counter()
    connection.set_autocommit(True)
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        saved = _strip_ticket_table(cur)
        print(f"dispatch_ticket stripped for the load ({saved} index/constraint definitions saved)", flush=True)
        cur.execute("SELECT setseed(0.54321)")
        cur.execute(GENERATE_SQL)
        # A run stopped early left BEN-{top} … BEN-{total}: go on below it.
        cur.execute(
            "SELECT coalesce(min(substr(number, 5)::bigint), %s) FROM dispatch_ticket WHERE number LIKE 'BEN-%%'",
            [total + 1],
        )
        top, low = cur.fetchone()[0], 0
        t0 = time.perf_counter()
        stop = top
        while stop - 1 > low:
            start = max(low + 1, stop - chunk)
            cur.execute(
                INSERT_SQL,
                {"start": start, "stop": stop, "now": now, "first": 1, "total": total, "days": days},
            )
            stop = start
            made = top - stop
            rate = made / max(time.perf_counter() - t0, 1e-9)
            print(
                f"  {made:,} made newest first ({time.perf_counter() - t0:.0f} s, {rate:,.0f}/s); "
                f"down to BEN-{stop:08d}",
                flush=True,
            )
        load_s = time.perf_counter() - t0
        cur.execute("DROP TABLE seed_area, seed_pick, seed_cat, seed_hot")
        t1 = time.perf_counter()
        _restore_ticket_table(cur)
        index_s = time.perf_counter() - t1
        t1 = time.perf_counter()
        cur.execute("VACUUM ANALYZE dispatch_ticket")
        vacuum_s = time.perf_counter() - t1
        cur.execute("SELECT count(*), pg_database_size(current_database()) FROM dispatch_ticket")
        count, size = cur.fetchone()
    print(
        f"generation: {count:,} tickets; load {load_s:.0f} s, indexes {index_s:.0f} s, VACUUM ANALYZE {vacuum_s:.0f} s; total "
        f"{time.perf_counter() - started:.0f} s; database {size / 2**30:.2f} GiB",
        flush=True,
    )


def prepare(months: int) -> None:
    """What the measurements need besides tickets: the rollups (their migration fills them from the
    tickets, set-based) and lead assignments for the tickets of the last `months` months."""
    from django.core.management import call_command
    from django.db import connection

    from rollups.services import recount

    call_command("migrate", "--noinput", "-v", "1")
    t0 = time.perf_counter()
    cells = recount()  # the load ran with the triggers off
    print(f"rollups recounted from the tickets: {cells:,} daily cells in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM dispatch_assignment a JOIN dispatch_ticket t ON t.id = a.ticket_id "
            "WHERE t.number LIKE 'BEN-%%'"
        )
        if cur.fetchone()[0] == 0:
            # Each ticket's lead: its township's office (else its county's), signed within 3 h,
            # replied within 5 days mostly, a few late.
            cur.execute(
                """
WITH lead AS (SELECT DISTINCT ON (area_code) area_code, id FROM grid_office
              WHERE area_code <> '' ORDER BY area_code, id)
INSERT INTO dispatch_assignment (ticket_id, office_id, role, step, state, is_active, why, assigned_at,
                                 signed_at, replied_at, return_reason)
SELECT t.id, coalesce(o.id, c.id), 'lead', 1, 'closed', true, 'bench', t.received_at + interval '10 minutes',
       t.received_at + make_interval(mins => 20 + (t.id %% 160)::int),
       CASE WHEN t.status IN ('replied', 'closed', 'archived')
            THEN t.received_at + make_interval(hours => 2 + (t.id %% 130)::int) END, ''
FROM dispatch_ticket t
LEFT JOIN lead o ON o.area_code = t.township_code
LEFT JOIN lead c ON c.area_code = t.county_code
WHERE t.number LIKE 'BEN-%%' AND t.received_at >= now() - make_interval(months => %s)
  AND coalesce(o.id, c.id) IS NOT NULL
""",
                [months],
            )
            print(f"lead assignments: {cur.rowcount:,} in {time.perf_counter() - t0:.0f} s", flush=True)
        cur.execute("VACUUM ANALYZE dispatch_assignment")


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def ms(values: list[float]) -> str:
    return f"p50 **{percentile(values, 50) * 1000:,.1f} ms**, p95 {percentile(values, 95) * 1000:,.1f} ms"


def measure(repeat: int, *, clusters_only: bool = False) -> list[str]:
    import datetime as dt

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from assessment.metrics import assess_month
    from briefings.figures import compute_briefing
    from briefings.periods import Period
    from dispatch import analytics
    from dispatch.analytics import ticket_clusters
    from dispatch.models import Ticket
    from grid.models import Area, User
    from maps import selectors as maps
    from maps.hotspots import rules_by_category
    from rollups import selectors as rollups
    from rollups.services import fold

    fold()
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), min(received_at), max(received_at) FROM dispatch_ticket")
        total, oldest, newest = cur.fetchone()
        cur.execute("SELECT pg_database_size(current_database()), pg_total_relation_size('dispatch_ticket')")
        db_bytes, ticket_bytes = cur.fetchone()
        cur.execute(
            "SELECT (SELECT count(*) FROM rollups_dailycount), (SELECT count(*) FROM rollups_monthlycount), "
            "pg_total_relation_size('rollups_dailycount') + pg_total_relation_size('rollups_monthlycount')"
        )
        daily_rows, monthly_rows, rollup_bytes = cur.fetchone()
    lines = [
        f"- Database `{connection.settings_dict['NAME']}`: **{total:,} tickets** received "
        f"{timezone.localtime(oldest):%Y-%m-%d} … {timezone.localtime(newest):%Y-%m-%d}; "
        f"database size **{db_bytes / 2**30:.1f} GiB** (tickets with their indexes {ticket_bytes / 2**30:.1f} GiB); "
        f"rollups: {daily_rows:,} daily and {monthly_rows:,} monthly cells, {rollup_bytes / 2**20:.0f} MiB.",
        "",
        "### Clusters endpoint (`GET /api/maps/clusters`), the wall viewer",
        "",
        "| view | tickets | features | the endpoint (HTTP, as the wall asks) | rollups: `rollups.selectors.point_bins` "
        "(city) / `grid_bins` (township) "
        "| without rollups: the tickets' grid bins (`dispatch.analytics.point_bins`, what the endpoint did before) |",
        "|---|---|---|---|---|---|",
    ]
    wall = User.objects.get(username="wall_viewer")
    assert rollups.covers(wall)
    client = Client()
    client.force_login(wall)
    city = Area.objects.current().get(level="city")
    township = Area.objects.current().get(code="410402002")

    def bbox(area) -> str:
        return ",".join(f"{v:.5f}" for v in area.geom.extent)

    for label, area, zoom, days in [
        ("city-wide, zoom 9, last 7 days", city, 9, 7),
        ("city-wide, zoom 9, last 30 days", city, 9, 30),
        ("city-wide, zoom 9, the whole year", city, 9, 366),
        ("township (光明路街道), zoom 14, last 7 days", township, 14, 7),
        ("township (光明路街道), zoom 14, last 30 days", township, 14, 30),
        ("township (光明路街道), zoom 14, the whole year", township, 14, 366),
    ]:
        since = now - dt.timedelta(days=days)
        box = bbox(area)
        url = f"/api/maps/clusters?bbox={box}&zoom={zoom}&since={since.isoformat().replace('+', '%2B')}"
        first = client.get(url)
        assert first.status_code == 200, first.content[:300]
        body = first.json()
        times = timed(lambda url=url: client.get(url), repeat)
        qs = maps.scoped(wall).filter(received_at__gte=since)
        box_t = tuple(float(v) for v in box.split(","))
        naive = timed(lambda qs=qs, box_t=box_t, zoom=zoom: analytics.point_bins(qs, bbox=box_t, zoom=zoom), 3)
        size = analytics.bin_size_for(box_t, zoom)
        if size >= rollups.MIN_CELL_M:
            fn = timed(
                lambda box_t=box_t, zoom=zoom, since=since: rollups.point_bins(
                    bbox=box_t, zoom=zoom, since=since, now=timezone.now()
                ),
                repeat,
            )
            rolled = ms(fn)
        elif rollups.grid_serves(size):
            fn = timed(
                lambda box_t=box_t, zoom=zoom, since=since: rollups.grid_bins(
                    bbox=box_t, zoom=zoom, since=since, now=timezone.now()
                ),
                repeat,
            )
            rolled = "grid: " + ms(fn)
        else:
            rolled = "— (zoomed in: the tickets)"
        exact_total = sum(b.count for b in analytics.point_bins(qs, bbox=box_t, zoom=zoom)[0])
        same = "" if exact_total == body["total"] else f" (tickets' path counts {exact_total:,})"
        lines.append(
            f"| {label} | {body['total']:,}{same} | {len(body['features'])} | {ms(times)} | {rolled} | "
            f"p50 {percentile(naive, 50) * 1000:,.0f} ms |"
        )
        print(lines[-1], flush=True)

    if clusters_only:
        return lines
    rules = rules_by_category(days=30)
    in_window = Ticket.objects.filter(received_at__gte=now - dt.timedelta(days=30)).count()
    hot = timed(lambda: ticket_clusters(Ticket.objects.all(), rules=rules, now=now), max(3, repeat // 6))
    found = ticket_clusters(Ticket.objects.all(), rules=rules, now=now)
    lines += [
        "",
        "### Hotspots over 30 days",
        "",
        f"- {in_window:,} tickets in the window; {len(found)} hotspots; `ST_ClusterDBSCAN` per category: {summary_ms(hot)}.",
    ]
    print(lines[-1], flush=True)

    local = timezone.localtime(now)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    t0 = time.perf_counter()
    tables = assess_month(year, month)
    assess_s = time.perf_counter() - t0
    ranked = sum(1 for rows in tables.values() for u in rows if u.rank)
    handled = sum(u.counts.get("handled", 0) for rows in tables.values() for u in rows)
    lines += [
        "",
        "### A month's assessment, a briefing, the ticket list",
        "",
        f"- Assessment of {year}-{month:02d} (one-pass SQL, `assess_month`): **{assess_s:.2f} s**, "
        f"{ranked} units ranked, {handled:,} lead assignments — target ≤ 10 s.",
    ]
    print(lines[-1], flush=True)

    period = Period("month", year, month)
    everything = Ticket.objects.all()
    fast = timed(lambda: compute_briefing(everything, period, now=now, rollup_area=""), max(3, repeat // 6))
    slow = timed(lambda: compute_briefing(everything, period, now=now), 3)
    a = compute_briefing(everything, period, now=now, rollup_area="")
    b = compute_briefing(everything, period, now=now)
    same = (a.totals, [(c.code, c.counts) for c in a.categories]) == (
        b.totals,
        [(c.code, c.counts) for c in b.categories],
    )
    # The baseline of the slowest offices' query: the period's tickets joined to the assignments directly.
    from briefings import figures

    new_slow = figures._SLOW_SQL
    figures._SLOW_SQL = _SLOW_SQL_JOINED
    try:
        joined = timed(lambda: compute_briefing(everything, period, now=now, rollup_area=""), 3)
        c = compute_briefing(everything, period, now=now, rollup_area="")
    finally:
        figures._SLOW_SQL = new_slow
    lines.append(
        f"- The same briefing with the slowest offices' query as it was (the period's tickets joined to the "
        f"assignments directly): p50 {percentile(joined, 50) * 1000:,.0f} ms; same slowest offices: "
        f"{[(o.office_id, o.handled, o.median_hours) for o in c.slowest] == [(o.office_id, o.handled, o.median_hours) for o in a.slowest]}."
    )
    lines.append(
        f"- Briefing, city, month {period.code} ({a.totals[2]:,} tickets): volume/channels/category shares from "
        f"the rollups {ms(fast)} for the whole briefing; with the grouped count over the tickets p50 "
        f"{percentile(slow, 50) * 1000:,.0f} ms; same figures: {same}."
    )
    print(lines[-1], flush=True)

    county = User.objects.get(username="xinhua_dispatcher")
    c2 = Client()
    c2.force_login(county)
    r = c2.get("/api/tickets/")
    assert r.status_code == 200, r.content[:300]
    lst = timed(lambda: c2.get("/api/tickets/"), repeat)
    lines.append(f"- `GET /api/tickets/` as a county dispatcher (新华区, first page): {ms(lst)}.")
    summary = Client()
    summary.force_login(wall)
    sm = timed(lambda: summary.get("/api/maps/summary"), max(3, repeat // 6))
    old = timed(lambda: _counters_over_every_ticket(Ticket.objects.all(), now=timezone.now()), 3)
    new = analytics.live_counters(Ticket.objects.all(), now=now)
    same = new == _counters_over_every_ticket(Ticket.objects.all(), now=now)
    lines.append(
        f"- The live counters alone: `analytics.live_counters` {ms(timed(lambda: analytics.live_counters(Ticket.objects.all()), repeat))}; "
        f"the aggregate over every ticket (before) p50 {percentile(old, 50) * 1000:,.0f} ms; same figures: {same}."
    )
    lines.append(
        f"- `GET /api/maps/summary` city-wide (live counters read four index ranges, not every ticket): {ms(sm)}."
    )
    print("\n".join(lines[-2:]), flush=True)
    return lines


_SLOW_SQL_JOINED = """
SELECT a.office_id, o.name, count(*),
       count(a.replied_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.replied_at - a.assigned_at) / 3600.0),
       avg(extract(epoch FROM a.replied_at - a.assigned_at) / 3600.0),
       count(*) FILTER (WHERE r.resolve_by IS NOT NULL
                        AND coalesce(a.replied_at, %(now)s) > r.resolve_by)
FROM dispatch_assignment a
JOIN ({inner}) t ON t.id = a.ticket_id
LEFT JOIN dispatch_handlinground r ON r.ticket_id = a.ticket_id AND r.step = a.step
JOIN grid_office o ON o.id = a.office_id
WHERE a.role = 'lead' AND a.state <> 'returned'
  AND t.received_at >= %(start)s AND t.received_at < %(end)s
GROUP BY a.office_id, o.name
HAVING count(a.replied_at) >= %(min_replies)s
ORDER BY 5 DESC NULLS LAST, 6 DESC NULLS LAST, o.name
LIMIT %(limit)s
"""


def _counters_over_every_ticket(qs, *, now):
    """analytics.live_counters as it was: one aggregate with FILTERs over every ticket (the baseline)."""
    from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q

    from dispatch.analytics import (
        NEAR_DEADLINE_FRACTION,
        UNANSWERED_STATUSES,
        Counters,
        _overdue_q,
        local_day_start,
    )
    from dispatch.models import OPEN_STATUSES, Satisfaction, Status

    today = local_day_start(now)
    month = today.replace(day=1)
    near_from = ExpressionWrapper(
        F("clock_started_at") + (F("resolve_by") - F("clock_started_at")) * NEAR_DEADLINE_FRACTION,
        output_field=DateTimeField(),
    )
    return Counters(
        **qs.annotate(near_from=near_from).aggregate(
            intake_today=Count("id", filter=Q(received_at__gte=today) & ~Q(status=Status.REFUSED)),
            open=Count("id", filter=Q(status__in=UNANSWERED_STATUSES)),
            near_deadline=Count("id", filter=Q(status__in=OPEN_STATUSES, resolve_by__gte=now, near_from__lte=now)),
            overdue=Count("id", filter=_overdue_q(now)),
            closed_today=Count("id", filter=Q(closed_at__gte=today)),
            callbacks_this_month=Count("id", filter=Q(callback_at__gte=month) & ~Q(satisfaction="")),
            satisfied_this_month=Count(
                "id",
                filter=Q(callback_at__gte=month, satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC]),
            ),
        )
    )


def overhead(n: int) -> list[str]:
    """What the triggers cost a writer: intake and a transition with and without them, alternating
    rounds in one process, each round rolled back."""
    import statistics

    from django.db import connection, transaction

    from dispatch.services import sign_for
    from grid.models import User
    from tests.helpers import make_ticket

    handler = User.objects.get(username="water_handler")

    class Rollback(Exception):
        pass

    def round_(with_triggers: bool) -> tuple[float, float]:
        intake, sign = [], []
        try:
            with transaction.atomic():
                if not with_triggers:
                    with connection.cursor() as cur:
                        cur.execute("ALTER TABLE dispatch_ticket DISABLE TRIGGER USER")
                for _ in range(n):
                    t0 = time.perf_counter()
                    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
                    t1 = time.perf_counter()
                    sign_for(ticket=t, by=handler)
                    intake.append(t1 - t0)
                    sign.append(time.perf_counter() - t1)
                raise Rollback
        except Rollback:
            pass
        return statistics.median(intake), statistics.median(sign)

    with_t, without = [], []
    for _ in range(3):
        without.append(round_(False))
        with_t.append(round_(True))
    a = [statistics.median(x[0] for x in without), statistics.median(x[1] for x in without)]
    b = [statistics.median(x[0] for x in with_t), statistics.median(x[1] for x in with_t)]
    return [
        f"- What the rollup triggers cost a writer ({3 * n} tickets each way, alternating rounds, rolled back): "
        f"intake p50 {b[0] * 1000:.1f} ms with them against {a[0] * 1000:.1f} ms without; "
        f"signing for p50 {b[1] * 1000:.1f} ms against {a[1] * 1000:.1f} ms."
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["generate", "prepare", "measure", "overhead"])
    parser.add_argument("--database", default=DB)
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=1826)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--clusters-only", action="store_true", help="measure: the clusters endpoint's table only")
    args = parser.parse_args()
    setup(args.database)
    if args.step == "generate":
        # The bench database itself (created, migrated, fixtures loaded, once) is bench/maps.py's.
        _bench_maps().ensure_database(args.database)
        generate(args.count, args.days, args.chunk)
    elif args.step == "prepare":
        prepare(args.months)
    elif args.step == "overhead":
        lines = overhead(40)
        print("\n".join(lines))
        if not args.no_record:
            record("Rollup triggers: cost to a writer (bench/scale.py overhead)", lines)
    else:
        lines = measure(args.repeat, clusters_only=args.clusters_only)
        if not args.no_record:
            what = " — the clusters endpoint" if args.clusters_only else ""
            record(f"Ten million tickets (bench/scale.py){what}", lines)


if __name__ == "__main__":
    main()
