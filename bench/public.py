"""The citizen's public pages [PUB-1][PUB-3]: p50/p95 through Django's test client (the whole view:
query, redaction, template), on the demo database and on the 1,000,000-ticket bench database of
bench/maps.py when it exists, beside a naive public record that loads every public case as ORM objects
and filters, sorts and pages them in Python (a scan, no index).

    .venv/bin/python bench/public.py                      # grid12345, then grid12345_bench if present
    .venv/bin/python bench/public.py --database grid12345 # one database only
    .venv/bin/python bench/public.py --database grid12345_bench10m --naive-runs 1   # bench/scale.py's 10M

On a bench database (grid12345_bench…) the script first gives 30 % of the tickets a citizen's report (2 in 3 of those
public), as the demo's load_citizen_demo does for web/WeChat/app tickets.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

from _common import ROOT, record, setup_django, summary_ms

BENCH_DB = "grid12345_bench"

SEED_REPORTS_SQL = """
WITH made AS (
    INSERT INTO citizen_citizenreport (ticket_id, is_business, business_name, credit_code, phone_key,
                                       received_at, county_code, township_code, held_reason)
    SELECT t.id, false, '', '', md5(t.id::text), t.received_at, t.county_code, t.township_code, ''
    FROM dispatch_ticket t
    WHERE (t.id %% 10) < 3 AND NOT EXISTS (SELECT 1 FROM citizen_citizenreport r WHERE r.ticket_id = t.id)
    RETURNING ticket_id
), opened AS (  -- the caller's choice is kept on the ticket
    UPDATE dispatch_ticket t SET is_public = true FROM made WHERE t.id = made.ticket_id AND (t.id %% 10) < 2
    RETURNING t.id
)
SELECT (SELECT count(*) FROM made), (SELECT count(*) FROM opened)
"""


def naive_public(area: str, month: str, page: int = 1, size: int = 20) -> list[str]:
    """The public record the obvious way: every public report with its ticket as ORM objects, filtered,
    sorted and paged in Python, each row of the page redacted."""
    from citizen.models import CitizenReport
    from citizen.selectors import PUBLIC_STATUSES, month_range
    from core.redact import redact

    start, end = month_range(month) if month else (None, None)
    rows = []
    for r in CitizenReport.objects.select_related("ticket", "ticket__category").iterator(chunk_size=10_000):
        t = r.ticket
        if not t.is_public or t.status not in PUBLIC_STATUSES:
            continue
        if area and (t.county_code if len(area) == 6 else t.township_code) != area:
            continue
        if start and not (start <= r.received_at < end):
            continue
        rows.append(r)
    rows.sort(key=lambda r: (r.received_at, r.id), reverse=True)
    chosen = rows[(page - 1) * size : page * size]
    for r in chosen:
        redact(r.ticket.description)
    return [r.ticket.number for r in chosen]


def measure(database: str, repeat: int, naive_runs: int = 3) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from citizen import selectors
    from citizen.models import CitizenReport
    from dispatch.models import Ticket

    with connection.cursor() as cur:
        if database.startswith(BENCH_DB):
            cur.execute(SEED_REPORTS_SQL, [])
            if cur.fetchone()[0]:
                cur.execute("VACUUM ANALYZE citizen_citizenreport")
                cur.execute("VACUUM ANALYZE dispatch_ticket")
    tickets = Ticket.objects.count()
    reports = CitizenReport.objects.count()
    public = CitizenReport.objects.filter(ticket__is_public=True).count()
    areas = list(
        CitizenReport.objects.filter(ticket__is_public=True)
        .exclude(township_code="")
        .values_list("county_code", "township_code")
        .distinct()[:200]
    )
    today = timezone.localdate()
    months = [f"{(today.replace(day=1) - __import__('datetime').timedelta(days=30 * k)):%Y-%m}" for k in range(1, 6)]
    rng = random.Random(12345)
    client = Client(HTTP_HOST="127.0.0.1")

    def pick():
        county, township = rng.choice(areas)
        return county, township, rng.choice(months)

    pages = {
        "`/api/public/cases?area=<county>&month=<m>`": lambda c, t, m: f"/api/public/cases?area={c}&month={m}",
        "`/api/public/cases?area=<township>`": lambda c, t, m: f"/api/public/cases?area={t}",
        "`/m/public/?area=<county>&month=<m>` (list page)": lambda c, t, m: f"/m/public/?area={c}&month={m}",
        "`/m/public/` (whole city, page 1)": lambda c, t, m: "/m/public/",
        "`/m/public/?page=50` (whole city, deepest page)": lambda c, t, m: "/m/public/?page=50",
        "`/m/public/<county>/rss/` (50 items)": lambda c, t, m: f"/m/public/{c}/rss/",
        "`/m/public/map/`": lambda c, t, m: "/m/public/map/",
        "`/m/` (report form)": lambda c, t, m: "/m/",
    }
    for make in pages.values():  # warm up: translations, templates, URL resolvers, connection
        assert client.get(make(*pick())).status_code == 200
    lines = [
        f"### Database `{database}`: {tickets:,} tickets, {reports:,} citizens' reports, {public:,} public",
        "",
        f"{repeat} requests per page through Django's test client, areas and months drawn at random.",
        "",
        "| page | indexed public record (citizen.selectors) |",
        "|---|---|",
    ]
    for name, make in pages.items():
        times = []
        for _ in range(repeat):
            path = make(*pick())
            t0 = time.perf_counter()
            resp = client.get(path)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200, (path, resp.status_code)
        lines.append(f"| {name} | {summary_ms(times)} |")
    # The naive baseline, same process, same filters; and the same first page.
    naive_times, fast_times, same = [], [], True
    for _ in range(naive_runs):
        county, _t, month = pick()
        t0 = time.perf_counter()
        slow = naive_public(county, month)
        naive_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cases, _p, _n = selectors.public_cases(selectors.PublicQuery(area=county, month=month))
        fast_times.append(time.perf_counter() - t0)
        same &= slow == [c.number for c in cases]
    lines += [
        "",
        f"One page of a county's month, the selector alone against the naive scan "
        f"({naive_runs} run{'s' if naive_runs > 1 else ''} each):",
        "",
        "| query | indexed (citizen.selectors.public_cases) | naive: every public report in Python | same page |",
        "|---|---|---|---|",
        f"| county + month, page 1 | {summary_ms(fast_times)} | {summary_ms(naive_times)} | {same} |",
    ]
    return lines


def database_url(name: str) -> str:
    """The default database's server with another database name (as bench/maps.py builds it)."""
    from django.conf import settings

    s = settings.DATABASES["default"]
    host, port = s["HOST"] or "", s["PORT"] or "5432"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    if host.startswith("/"):
        return f"postgis://{auth}@/{name}?host={host}&port={port}"
    return f"postgis://{auth}@{host}:{port}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="measure this database only")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--naive-runs", type=int, default=3, help="runs of the naive scan (minutes each at 10M)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        setup_django()
        for line in measure(args.database, args.repeat, args.naive_runs):
            print(line)
        return
    setup_django()
    import psycopg
    from django.conf import settings

    s = settings.DATABASES["default"]
    conninfo = {"host": s["HOST"], "port": s["PORT"] or 5432, "user": s["USER"], "dbname": "postgres"}
    with psycopg.connect(**conninfo) as conn:
        present = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    databases = [args.database] if args.database else [d for d in (s["NAME"], BENCH_DB) if d in present]
    lines = [
        "Every public page of the citizen's side, rendered whole (query, redaction of each row by core.redact, "
        "template). The public record is one range of an index on `citizen_citizenreport` "
        "(by county/township and received time) joined to the ticket by its key, which says whether the caller "
        "chose to make it public (`Ticket.is_public`) and whether it is closed; the naive "
        "baseline loads every public report as ORM objects and filters, sorts and pages them in Python.",
        "",
    ]
    for name in databases:
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--database", name, "--repeat", str(args.repeat)]
            + ["--naive-runs", str(args.naive_runs)],
            env={**os.environ, "DATABASE_URL": database_url(name), "DB_POOL": "0"},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        lines += [line for line in out.stdout.splitlines() if not line.startswith("  ")] + [""]
    record("Citizen's public pages (bench/public.py)", lines)


if __name__ == "__main__":
    main()
