"""The read replica at full size (issue 17, item 3): what moves off the primary, and at what cost.

Against the worktree's database (the demo's 20,000 tickets, or more) and its hot standby
(bin/pg-replica), two daphne processes side by side: "primary only" (no REPLICA_DATABASE_URL, the
baseline) and "with replica". While a writer takes in a ticket every --every s on the primary
(through the baseline process), each process is asked for the routed pages (the wall's data, the
maps, a briefing, the month's assessment and its export) --rounds times. It prints and records,
per page and process, p50/p95 latency and where the reads came from (X-Read-From), the replay lag
seen meanwhile, and the rows the primary returned (pg_stat_database.tup_returned + tup_fetched)
during each phase: the load the replica took off it.

    .venv/bin/python bench/replica.py                  # 10 rounds, record
    .venv/bin/python bench/replica.py --rounds 3 --no-record
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import daphne_server, percentile, record, setup_django  # noqa: E402

from tests.servers import PG_REPLICA, PHONE_TICKET, REPLAY_LAG_SQL, database_url, new_session  # noqa: E402


def pages(today: dt.date) -> list[str]:
    month = today.strftime("%Y-%m")
    return [
        "/api/maps/summary",
        "/api/maps/clusters?bbox=112.9,33.4,113.7,34.1&zoom=11",
        "/api/maps/hotspots",
        "/api/maps/areas?level=township",
        f"/briefings/{month}/",
        f"/assessment/{month}/",
        f"/assessment/{month}/?format=xlsx",
        f"/maps/report/410402002/?from={today - dt.timedelta(days=29)}&to={today}&download=0",
    ]


def libpq(url: str) -> str:
    return url.replace("postgis://", "postgresql://", 1)


def rows_returned(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as c:
        return c.execute(
            "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between tickets of the writer")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from dispatch.models import OutboundMessage, Ticket

    d = settings.DATABASES["default"]
    primary_url = database_url()
    subprocess.run([PG_REPLICA, "start"], check=True)
    replica_url = subprocess.run(
        [PG_REPLICA, "url", d["NAME"]], capture_output=True, text=True, check=True
    ).stdout.strip()

    run = f"bench-replica-{uuid.uuid4().hex[:6]}"
    reader, writer = new_session("city_dispatcher"), new_session("city_dispatcher")
    time.sleep(1)  # the sessions replayed on the replica
    common = {"DATABASE_URL": primary_url, "DEBUG": "0", "REDIS_URL": "", "MAPS_LIVE_TICK_SECONDS": "0"}
    paths = pages(timezone.localdate())
    figures: dict[str, dict] = {}
    lags: list[float] = []
    stop = threading.Event()

    def write(base: str, counter: list):
        csrf = uuid.uuid4().hex
        while not stop.is_set():
            t = time.monotonic()
            r = requests.post(
                f"{base}/api/tickets/",
                json={**PHONE_TICKET, "description": f"{run} 长青社区楼下下水道堵了 {counter[0]}"},
                headers={
                    "Cookie": f"sessionid={writer}; csrftoken={csrf}",
                    "X-CSRFToken": csrf,
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                timeout=30,
            )
            counter[0] += r.status_code == 201
            stop.wait(max(0.0, args.every - (time.monotonic() - t)))

    def watch_lag():
        with psycopg.connect(libpq(replica_url), autocommit=True) as c:
            while not stop.is_set():
                lags.append(float(c.execute(REPLAY_LAG_SQL).fetchone()[0]))
                stop.wait(0.2)

    written = [0]
    try:
        with ExitStack() as stack:
            plain = stack.enter_context(daphne_server({**common}))
            routed = stack.enter_context(daphne_server({**common, "REPLICA_DATABASE_URL": replica_url}))
            threads = [threading.Thread(target=write, args=(plain, written)), threading.Thread(target=watch_lag)]
            for t in threads:
                t.start()
            try:
                for name, base in (("primary only", plain), ("with replica", routed)):
                    for path in paths:  # warm: the month's assessment stored, caches filled
                        requests.get(base + path, headers={"Cookie": f"sessionid={reader}"}, timeout=300)
                    time.sleep(1)
                    before = rows_returned(primary_url)
                    per: dict[str, list] = {p: [] for p in paths}
                    source: dict[str, dict] = {p: {} for p in paths}
                    for _ in range(args.rounds):
                        for path in paths:
                            t = time.perf_counter()
                            r = requests.get(base + path, headers={"Cookie": f"sessionid={reader}"}, timeout=300)
                            per[path].append(time.perf_counter() - t)
                            assert r.status_code == 200, (path, r.status_code, r.text[:200])
                            where = r.headers.get("X-Read-From", "primary")
                            source[path][where] = source[path].get(where, 0) + 1
                    figures[name] = {
                        "latency": per,
                        "source": source,
                        "primary_rows": rows_returned(primary_url) - before,
                    }
            finally:
                stop.set()
                for t in threads:
                    t.join()
    finally:
        ids = list(Ticket.objects.filter(description__startswith=run).values_list("id", flat=True))
        OutboundMessage.objects.filter(ticket_id__in=ids).delete()
        Ticket.objects.filter(id__in=ids).delete()
        SessionStore(reader).delete()
        SessionStore(writer).delete()

    def ms(values, p):
        return f"{percentile(values, p) * 1000:.0f}"

    lines = [
        f"Database: {Ticket.objects.count():,} tickets; the replica is bin/pg-replica's hot standby on the same machine "
        f"(2 cores shared by both clusters and both servers). A writer took in {written[0]} tickets on the primary "
        f"({1 / args.every:.0f}/s) during the reads; {args.rounds} rounds of each page per process; "
        f"REPLICA_MAX_LAG_SECONDS 5.",
        "",
        "| page | primary only p50 / p95 (ms) | with replica p50 / p95 (ms) | reads from (with replica) |",
        "|---|---|---|---|",
    ]
    for path in paths:
        a, b = figures["primary only"]["latency"][path], figures["with replica"]["latency"][path]
        src = ", ".join(f"{k} {v}" for k, v in sorted(figures["with replica"]["source"][path].items()))
        label = path if "format=" in path else path.split("?")[0]
        lines.append(f"| `{label}` | {ms(a, 50)} / {ms(a, 95)} | {ms(b, 50)} / {ms(b, 95)} | {src} |")
    pa, pb = figures["primary only"]["primary_rows"], figures["with replica"]["primary_rows"]
    lines += [
        "",
        f"Rows the primary returned during the reads (pg_stat_database tup_returned + tup_fetched, the writer's "
        f"included): primary only {pa:,}; with replica {pb:,} ({100 * (1 - pb / pa):.0f}% less)."
        if pa
        else "",
        f"Replay lag sampled every 0.2 s meanwhile: p50 {percentile(lags, 50) * 1000:.0f} ms, p95 "
        f"{percentile(lags, 95) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms ({len(lags)} samples)."
        if lags
        else "",
    ]
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Read replica at full size (bench/replica.py)", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
