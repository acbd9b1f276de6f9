"""Live maps at scale: 1,000,000 tickets in a separate bench database.

    .venv/bin/python bench/maps.py                 # generate (once) and measure everything
    .venv/bin/python bench/maps.py --count 20000 --database grid12345 --generate-only   # seed a dev database

Measures, each next to a naive approach in the same run:
1. GET /api/maps/clusters (server-side grid bins) city-wide and for one township,
   against shipping every ticket in the view as GeoJSON points;
2. hotspots over the last 30 days (ST_ClusterDBSCAN in EPSG:4547 per category),
   against DBSCAN in Python over all the points (the same clusters, checked);
3. 200 WebSocket clients on one daphne process: commit → message received, p95,
   from the server's timestamp taken right after commit.

The tickets are made by bulk SQL (generate_series) from the communities' label
points, denser in the central districts, with drain and parking clusters and a
year of received times; the dev database is untouched unless named.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

from _common import ROOT, daphne_server, percentile, record, summary_ms

BENCH_DB = "grid12345_bench"

GENERATE_SQL = """
-- Where tickets come from: every community, weighted by how urban and central it is.
CREATE TEMP TABLE seed_area AS
SELECT a.id AS area_id, a.code AS community_code, t.code AS township_code, c.code AS county_code,
       c.name || '/' || t.name || '/' || a.name AS place_names, c.is_central,
       ST_X(a.label_point) AS lon, ST_Y(a.label_point) AS lat,
       CASE WHEN c.is_central AND a.urban THEN 40 WHEN a.urban THEN 12 WHEN c.is_central THEN 6 ELSE 1 END AS weight,
       CASE WHEN a.urban THEN 0.004 ELSE 0.012 END AS spread
FROM grid_area a JOIN grid_area t ON t.id = a.parent_id JOIN grid_area c ON c.id = t.parent_id
WHERE a.level = 'community' AND a.valid_to IS NULL AND a.label_point IS NOT NULL;
CREATE TEMP TABLE seed_pick AS
SELECT row_number() OVER () AS k, s.* FROM seed_area s, generate_series(1, s.weight);
CREATE TEMP TABLE seed_cat AS
SELECT row_number() OVER () AS k, c.id AS category_id, c.code
FROM dispatch_category c, generate_series(1, CASE WHEN c.code IN ('0101', '0401') THEN 6 ELSE 1 END)
WHERE c.parent_id IS NOT NULL;
-- Hotspot centres: drain blockages and parking disorder in central urban communities.
CREATE TEMP TABLE seed_hot AS
SELECT row_number() OVER () AS k, s.*, c.category_id
FROM (SELECT * FROM seed_area WHERE is_central AND weight = 40 ORDER BY community_code LIMIT 60) s
JOIN (SELECT DISTINCT ON (code) category_id, code FROM seed_cat WHERE code IN ('0101', '0401')) c
  ON (c.code = '0101') = (hashtext(s.community_code) % 2 = 0);
"""

INSERT_SQL = """
WITH g AS (
    SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           (i %% 40 = 0) AS hot
    FROM generate_series(%(start)s, %(stop)s - 1) AS i
),
placed AS (
    SELECT g.*, s.area_id, s.community_code, s.township_code, s.county_code, s.place_names, s.is_central,
           CASE WHEN g.hot THEN s.lon + (g.r3 - 0.5) * 0.0025 ELSE s.lon + (g.r3 - 0.5) * s.spread * 2 END AS lon,
           CASE WHEN g.hot THEN s.lat + (g.r4 - 0.5) * 0.002 ELSE s.lat + (g.r4 - 0.5) * s.spread * 2 END AS lat,
           CASE WHEN g.hot THEN h.category_id ELSE c.category_id END AS category_id
    FROM g
    JOIN seed_pick s ON s.k = 1 + floor(g.r1 * (SELECT count(*) FROM seed_pick))::int
    JOIN seed_cat c ON c.k = 1 + floor(g.r2 * (SELECT count(*) FROM seed_cat))::int
    LEFT JOIN seed_hot h ON h.k = 1 + (g.i %% (SELECT count(*) FROM seed_hot))::int
),
timed AS (
    -- Tickets arrive in time order (ids and received times rise together), as in a real table.
    SELECT p.*, %(now)s::timestamptz
           - make_interval(secs => (1 - (p.i - %(first)s)::float8 / %(total)s) * %(days)s * 86400 + p.r5 * 600) AS received_at
    FROM placed p
)
INSERT INTO dispatch_ticket (
    number, channel, kind, nature, urgency, description, address, point, location_source, geocode_precision,
    county_code, township_code, community_code, place_names, is_central, caller_name, caller_phone, caller_email,
    status, step, received_at, clock_started_at, resolve_by, closed_at, reply_text, callback_channel, satisfaction,
    callback_at, supervision_level, focus_reasons, attention, refusal_reason, referral, answer, external_id,
    request_fingerprint, token, extra, updated_at, area_id, category_id, is_public
)
SELECT 'BEN-' || lpad(t.i::text, 8, '0'), 'phone', 'complaint', '',
       CASE WHEN t.r3 < 0.03 THEN 'urgent' ELSE 'general' END,
       'bench ticket', '', ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), 'given', '',
       t.county_code, t.township_code, t.community_code, t.place_names, t.is_central, '', '', '',
       CASE WHEN t.received_at > %(now)s::timestamptz - interval '2 days' THEN
                (ARRAY['pending_dispatch','dispatched','in_progress','in_progress'])[1 + floor(t.r2 * 4)::int]
            WHEN t.received_at > %(now)s::timestamptz - interval '10 days' THEN
                (ARRAY['in_progress','replied','closed','archived'])[1 + floor(t.r2 * 4)::int]
            ELSE 'archived' END,
       1, t.received_at, t.received_at, t.received_at + interval '5 days',
       CASE WHEN t.received_at < %(now)s::timestamptz - interval '3 days' THEN t.received_at + interval '3 days' END,
       '', '', CASE WHEN t.received_at < %(now)s::timestamptz - interval '5 days'
                    THEN (ARRAY['satisfied','satisfied','basic','unsatisfied'])[1 + floor(t.r1 * 4)::int] ELSE '' END,
       CASE WHEN t.received_at < %(now)s::timestamptz - interval '5 days' THEN t.received_at + interval '4 days' END,
       0, '{}', '', '', '', '', '', '', gen_random_uuid(), '{}', %(now)s, t.area_id, t.category_id, false
FROM timed t
"""


def database_url(name: str) -> str:
    from django.conf import settings

    s = settings.DATABASES["default"]
    host, port = s["HOST"] or "", s["PORT"] or "5432"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    if host.startswith("/"):
        return f"postgis://{auth}@/{name}?host={host}&port={port}"
    return f"postgis://{auth}@{host}:{port}/{name}"


def manage(db_url: str, *args: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "DB_POOL": "0"},
        check=True,
    )


def ensure_database(name: str) -> str:
    """Create the bench database in the same cluster (once), migrated and with the fixtures loaded."""
    import psycopg
    from django.conf import settings

    s = settings.DATABASES["default"]
    conninfo = {"host": s["HOST"], "port": s["PORT"] or 5432, "user": s["USER"], "dbname": "postgres"}
    if s.get("PASSWORD"):
        conninfo["password"] = s["PASSWORD"]
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    with psycopg.connect(**{**conninfo, "dbname": name}, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    manage(url, "migrate", "--noinput", "-v", "0")
    manage(url, "load_pingdingshan")
    manage(url, "load_gazetteer")
    manage(url, "load_dispatch_reference", "-v", "0")
    return url


def generate(count: int, *, chunk: int = 100_000, seed: float = 0.12345, days: int = 365) -> float:
    """Insert `count` bench tickets (BEN-…) received over the last `days` days with bulk SQL into
    the current database; seconds taken."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [seed])
        cur.execute(GENERATE_SQL)
        cur.execute(
            "SELECT coalesce(max(substr(number, 5)::bigint), 0) FROM dispatch_ticket WHERE number LIKE 'BEN-%%'"
        )
        first = cur.fetchone()[0] + 1
        done = 0
        while done < count:
            n = min(chunk, count - done)
            cur.execute(
                INSERT_SQL,
                {
                    "start": first + done,
                    "stop": first + done + n,
                    "now": now,
                    "first": first,
                    "total": count,
                    "days": days,
                },
            )
            done += n
            print(f"  generated {done:,} / {count:,} tickets ({time.perf_counter() - t0:.0f} s)", flush=True)
        cur.execute("DROP TABLE seed_area, seed_pick, seed_cat, seed_hot")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE dispatch_ticket")
    return time.perf_counter() - t0


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_clusters(repeat: int) -> list[str]:
    from django.contrib.gis.geos import Polygon
    from django.test import Client
    from django.utils import timezone

    from dispatch.models import Ticket
    from grid.models import Area, User

    user = User.objects.get(username="wall_viewer")
    client = Client()
    client.force_login(user)
    city = Area.objects.current().get(level="city")
    township = Area.objects.current().get(code="410402002")  # 光明路街道
    since7 = (timezone.now() - timezone.timedelta(days=7)).isoformat()
    since30 = (timezone.now() - timezone.timedelta(days=30)).isoformat()
    since365 = (timezone.now() - timezone.timedelta(days=366)).isoformat()

    def bbox(area) -> str:
        return ",".join(f"{v:.5f}" for v in area.geom.extent)

    views = [
        ("city-wide, zoom 9, last 7 days (the wall's default)", bbox(city), 9, since7),
        ("city-wide, zoom 9, last 30 days", bbox(city), 9, since30),
        ("city-wide, zoom 9, the whole year", bbox(city), 9, since365),
        ("township (光明路街道), zoom 14, last 7 days (the wall's default)", bbox(township), 14, since7),
        ("township (光明路街道), zoom 14, last 30 days", bbox(township), 14, since30),
        ("township (光明路街道), zoom 14, the whole year", bbox(township), 14, since365),
    ]
    lines = [
        "| view | tickets in view | features | bytes | server-side bins | naive: every ticket as GeoJSON |",
        "|---|---|---|---|---|---|",
    ]
    for name, box, zoom, since in views:
        url = f"/api/maps/clusters?bbox={box}&zoom={zoom}&since={since.replace('+', '%2B')}"
        first = client.get(url)
        assert first.status_code == 200, first.content[:300]
        body = first.json()
        times = timed(lambda url=url: client.get(url), repeat)

        view = Polygon.from_bbox(tuple(float(v) for v in box.split(",")))

        def naive(since=since, poly=view):
            rows = (
                Ticket.objects.filter(received_at__gte=since, point__intersects=poly)
                .values_list("number", "status", "urgency", "point")
                .iterator(chunk_size=20_000)
            )
            features = [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]},
                    "properties": {"number": n, "status": s, "urgency": u},
                }
                for n, s, u, p in rows
            ]
            return json.dumps({"type": "FeatureCollection", "features": features}).encode()

        naive_repeat = max(2, repeat // 10) if body["total"] > 100_000 else max(3, repeat // 3)
        naive_bytes = len(naive())
        naive_times = timed(naive, naive_repeat)
        lines.append(
            f"| {name} | {body['total']:,} | {len(body['features']):,} | {len(first.content):,} | "
            f"p50 **{percentile(times, 50) * 1000:.1f} ms**, p95 {percentile(times, 95) * 1000:.1f} ms | "
            f"p50 {percentile(naive_times, 50) * 1000:.0f} ms, {naive_bytes / 2**20:.1f} MiB |"
        )
        print(lines[-1], flush=True)
    return lines


def python_dbscan(points_m, eps: float, minpts: int) -> list[int]:
    """Plain DBSCAN (brute-force neighbours with numpy): a label per point, -1 for noise."""
    import numpy as np

    n = len(points_m)
    labels = [-2] * n  # -2 unvisited
    xy = np.asarray(points_m)
    eps2 = eps * eps

    def neighbours(i):
        d = ((xy - xy[i]) ** 2).sum(axis=1)
        return np.nonzero(d <= eps2)[0].tolist()

    cluster = -1
    for i in range(n):
        if labels[i] != -2:
            continue
        nb = neighbours(i)
        if len(nb) < minpts:
            labels[i] = -1
            continue
        cluster += 1
        labels[i] = cluster
        queue = [j for j in nb if j != i]
        while queue:
            j = queue.pop()
            if labels[j] == -1:
                labels[j] = cluster
            if labels[j] != -2:
                continue
            labels[j] = cluster
            nb_j = neighbours(j)
            if len(nb_j) >= minpts:
                queue.extend(nb_j)
    return labels


def bench_hotspots(repeat: int) -> list[str]:
    from collections import Counter, defaultdict

    from django.conf import settings
    from django.utils import timezone
    from pyproj import Transformer

    from dispatch.analytics import ticket_clusters
    from dispatch.models import Ticket
    from maps.hotspots import find_hotspots, rules_by_category

    now = timezone.now()
    rules = rules_by_category(days=30)
    in_window = Ticket.objects.filter(received_at__gte=now - timezone.timedelta(days=30)).count()
    times = timed(lambda: ticket_clusters(Ticket.objects.all(), rules=rules, now=now), repeat)
    clusters = ticket_clusters(Ticket.objects.all(), rules=rules, now=now)
    labelled = timed(lambda: find_hotspots(Ticket.objects.all(), now=now, days=30), max(1, repeat // 3))

    def naive():
        to_metric = Transformer.from_crs(4326, settings.METRIC_SRID, always_xy=True)
        rows = (
            Ticket.objects.filter(
                received_at__gte=now - timezone.timedelta(days=30), received_at__lt=now, category_id__in=list(rules)
            )
            .exclude(status="refused")
            .values_list("id", "category_id", "point")
        )
        by_cat = defaultdict(list)
        for tid, cat, p in rows.iterator(chunk_size=20_000):
            by_cat[cat].append((tid, p.x, p.y))
        found = []
        for cat, pts in by_cat.items():
            xs, ys = to_metric.transform([p[1] for p in pts], [p[2] for p in pts])
            rule = rules[cat]
            labels = python_dbscan(list(zip(xs, ys)), rule.radius_m, rule.min_tickets)
            sizes = Counter(label for label in labels if label >= 0)
            found += [(cat, n) for n in sizes.values()]
        return found

    t = time.perf_counter()
    naive_found = naive()
    naive_s = time.perf_counter() - t

    # DBSCAN's clusters (core points and their reach) do not depend on the order of the points;
    # only which of two touching clusters takes a shared border point does. Compare per
    # category: how many clusters, and how many tickets in clusters.
    def per_category(pairs):
        out = defaultdict(lambda: [0, 0])
        for cat, n in pairs:
            out[cat][0] += 1
            out[cat][1] += n
        return dict(out)

    same = per_category(naive_found) == per_category((c.category_id, c.count) for c in clusters)
    return [
        f"- Tickets received in the last 30 days: {in_window:,} (of {Ticket.objects.count():,}); "
        f"{len(clusters)} hotspots, the largest {clusters[0].count if clusters else 0} tickets.",
        f"- **PostGIS** `ST_ClusterDBSCAN` in EPSG:4547 partitioned by category, 30-day window: "
        f"{summary_ms(times)} ({repeat} runs); with labels (township, road/place): p50 {percentile(labelled, 50):.2f} s.",
        f"- Naive: every point fetched into Python, projected with pyproj and clustered with a plain DBSCAN "
        f"per category: {naive_s:.2f} s; the same clusters as PostGIS (count and clustered tickets per category): {'yes' if same else 'NO'}.",
    ]


async def _ws_bench(base: str, clients: int, tickets: int, interval: float) -> tuple[list[float], int, int]:
    import http.client

    import websockets

    u = urlsplit(base)
    # A session for the sockets (the wall viewer) and Basic auth for posting tickets.
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/accounts/login/")
    resp = conn.getresponse()
    resp.read()
    cookies = resp.headers.get_all("Set-Cookie") or []
    csrf = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken="))
    body = f"username=wall_viewer&password=demo12345&csrfmiddlewaretoken={csrf}"
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": base + "/accounts/login/",
        },
    )
    resp = conn.getresponse()
    resp.read()
    session = next(c.split(";")[0] for c in resp.headers.get_all("Set-Cookie") or [] if c.startswith("sessionid="))
    latencies: list[float] = []
    received: dict[str, int] = {}
    ready = asyncio.Event()
    connected = 0

    async def client(i: int):
        nonlocal connected
        async with websockets.connect(
            f"ws://{u.hostname}:{u.port}/ws/maps/live/",
            additional_headers={"Cookie": session},
            origin=f"http://{u.hostname}:{u.port}",
            open_timeout=30,
            max_queue=None,
        ) as ws:
            await ws.recv()  # hello
            connected += 1
            if connected == clients:
                ready.set()
            try:
                while True:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=interval * tickets + 20))
                    if msg.get("type") == "ticket.created" and msg.get("number", "").startswith("PDS"):
                        latencies.append(time.time() - msg["sent_at"])
                        received[msg["number"]] = received.get(msg["number"], 0) + 1
                        if sum(received.values()) >= clients * tickets:
                            return
            except TimeoutError:
                return

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.wait_for(ready.wait(), timeout=120)
    # The server's pusher only delivers what the supervisor recorded (no supervisor runs here):
    # nothing heavy runs in the web process beside the requests and the sockets.
    auth = base64.b64encode(b"city_dispatcher:demo12345").decode()

    def post(n: int) -> int:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        payload = json.dumps(
            {
                "channel": "phone",
                "kind": "complaint",
                "category": "0101",
                "description": f"压测：楼下下水道堵了，污水溢到路面上（第{n}件）",
                "lon": 113.2952 + (n % 7) * 0.0003,
                "lat": 33.7549 + (n % 5) * 0.0003,
                "caller_name": "王芳",
                "caller_phone": "13812341234",
            }
        )
        c.request(
            "POST",
            "/api/tickets/",
            body=payload,
            headers={"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
        )
        r = c.getresponse()
        r.read()
        return r.status

    statuses = []
    for n in range(tickets):
        statuses.append(await asyncio.to_thread(post, n))
        await asyncio.sleep(interval)
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()
    return latencies, sum(1 for s in statuses if s == 201), connected


def bench_websockets(db_url: str, clients: int, tickets: int, interval: float, tick: str) -> list[str]:
    env = {"DATABASE_URL": db_url, "REDIS_URL": "", "MAPS_LIVE_TICK_SECONDS": tick}
    with daphne_server(env=env) as base:
        latencies, created, connected = asyncio.run(_ws_bench(base, clients, tickets, interval))
    expected = clients * tickets
    return [
        f"- {connected} WebSocket clients (wall viewers) on one daphne process; {created} tickets posted through "
        f"`POST /api/tickets/` one every {interval * 1000:.0f} ms.",
        f"- Messages received: {len(latencies):,} of {expected:,}; commit → received {summary_ms(latencies)}, "
        f"max {max(latencies) * 1000:.1f} ms"
        if latencies
        else "- no message received",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database", default=BENCH_DB, help="database to generate into and measure (created if missing)"
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365, help="received times spread over this many days")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=150)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--only", default="clusters,hotspots,ws", help="which parts to measure")
    parser.add_argument("--tick", default="5", help="the server's MAPS_LIVE_TICK_SECONDS")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DB_POOL"] = "0"
    import django

    django.setup()
    url = ensure_database(args.database)
    from django.db import connections

    # From here on this process works in the bench database.
    connections["default"].close()
    connections["default"].settings_dict["NAME"] = args.database
    from dispatch.models import Ticket

    have = Ticket.objects.filter(number__startswith="BEN-").count()
    gen_line = f"- {have:,} bench tickets already in `{args.database}`."
    if have < args.count:
        print(f"generating {args.count - have:,} tickets into {args.database} …", flush=True)
        secs = generate(args.count - have, days=args.days)
        gen_line = f"- Generated {args.count - have:,} tickets with bulk SQL in {secs:.0f} s ({(args.count - have) / secs:,.0f}/s)."
    if args.generate_only:
        print(gen_line)
        return
    total = Ticket.objects.count()
    parts = set(args.only.split(","))
    lines = [gen_line, f"- Database `{args.database}`: {total:,} tickets."]
    if "clusters" in parts:
        lines += [
            "",
            "### Clusters endpoint (`GET /api/maps/clusters`)",
            "",
            "The wall asks for the last 7 days by default. Targets: city-wide ≤ 150 ms, township ≤ 50 ms.",
            "A whole year city-wide aggregates a million rows per request; meeting 150 ms there would",
            "need a pre-aggregated rollup (not built).",
            "",
        ]
        lines += bench_clusters(args.repeat)
    if "hotspots" in parts:
        lines += ["", "### Hotspots over 30 days", ""]
        lines += bench_hotspots(max(3, args.repeat // 6))
    if "ws" in parts:
        lines += ["", "### Live: WebSocket fan-out", ""]
        lines += bench_websockets(url, args.clients, args.tickets, args.interval, args.tick)
    print("\n".join(lines))
    if not args.no_record:
        record("Live maps (bench/maps.py)", lines)


if __name__ == "__main__":
    main()
