"""The center's desks [ORG-1..3]: each desk's first page (the list and its tab counts, rendered through
Django's test client) for the city center and a county dispatch center, on the demo database (20,000
tickets), beside a naive baseline that finds the same first page by loading every ticket and asking
dispatch.policy.is_center_user of each one (the per-object permission check a first version would do).

    .venv/bin/python bench/desks.py [--repeat 30]
    .venv/bin/python bench/desks.py --database grid12345_bench --prepare --naive-runs 0   # 1,000,000 tickets

Target (issue 14): each desk's first page ≤ 300 ms p95 with the 20,000 demo tickets, ≤ 500 ms p95 with
1,000,000 in the bench database (bench/maps.py makes it). `--prepare` gives the bench tickets what the desks
look at, once: their center (the city center for the central five, else the county's sub-center [ORG-1]
[ORG-2]) and, over the last ten days, the states of a working hotline (see DESK_STATES_SQL).
"""

from __future__ import annotations

import argparse
import time

from _common import percentile, record, setup_django, summary_ms

DESKS = {
    "dispatch": "/desks/dispatch/",
    "rulings": "/desks/rulings/",
    "review": "/desks/review/",
    "callbacks": "/desks/callbacks/",
    "supervision": "/desks/supervision/",
}


def naive_first_page(user, desk: str) -> list:
    """The same first 25 tickets, found the obvious way: every ticket through the per-object policy."""
    from django.utils import timezone

    from dispatch.models import OPEN_STATUSES, Status, Ticket
    from dispatch.policy import is_center_user

    now = timezone.now()
    wanted = {
        "dispatch": lambda t: t.status == Status.PENDING_DISPATCH,
        "rulings": lambda t: t.status in OPEN_STATUSES
        and any(a.is_active and a.state == "return_requested" for a in t.assignments.all()),
        "review": lambda t: t.status == Status.REPLIED,
        "callbacks": lambda t: t.status in (Status.CLOSED, Status.CALLBACK_MANUAL),
        "supervision": lambda t: t.status in OPEN_STATUSES and t.resolve_by is not None and t.resolve_by < now,
    }[desk]
    mine = [t for t in Ticket.objects.select_related("center") if is_center_user(user, t) and wanted(t)]
    key = {
        "dispatch": lambda t: (t.received_at, t.id),
        "rulings": lambda t: (t.updated_at, t.id),
        "review": lambda t: (t.replied_at or now, t.id),
        "callbacks": lambda t: (t.callback_due or now, t.id),
        "supervision": lambda t: (t.resolve_by, t.id),
    }[desk]
    return sorted(mine, key=key)[:25]


# Over the last ten days (what bench/maps.py leaves there is every recent state in equal parts): of the
# last 2 days 3% wait for manual dispatch, the rest dispatched or being handled; of days 2-10, 15% still
# being handled, 10% replied and waiting for review, 12% closed and owed a callback, 1% for a manual
# callback, the rest archived. Deadlines 5 days after receipt: open tickets past it are overdue, within a
# day of it near. Every open or replied ticket gets its lead assignment (its township's office), 2% of
# the open ones a return request waiting for the desk's ruling.
CENTER_SQL = """
SET CONSTRAINTS ALL IMMEDIATE;  -- no deferred foreign-key check pending when the triggers come back
ALTER TABLE dispatch_ticket DISABLE TRIGGER USER;  -- neither the area codes nor the day change: no cell moves
WITH city AS (SELECT id FROM grid_office WHERE kind = 'city_center' ORDER BY id LIMIT 1),
sub AS (SELECT DISTINCT ON (area_code) area_code, id FROM grid_office WHERE kind = 'sub_center' ORDER BY area_code, id)
UPDATE dispatch_ticket t SET center_id = CASE WHEN t.is_central THEN (SELECT id FROM city)
    ELSE coalesce((SELECT s.id FROM sub s WHERE s.area_code = t.county_code), (SELECT id FROM city)) END
WHERE t.number LIKE 'BEN-%' AND t.center_id IS NULL;
ALTER TABLE dispatch_ticket ENABLE TRIGGER USER;
"""

# Run without parameters: % is the modulo operator here.
DESK_STATES_SQL = """
WITH h AS (SELECT id, received_at, ((id * 2654435761) % 1000) / 1000.0 AS h,
                  received_at > now() - interval '2 days' AS fresh
           FROM dispatch_ticket WHERE number LIKE 'BEN-%' AND received_at > now() - interval '10 days'),
s AS (SELECT id, received_at, CASE
        WHEN fresh AND h < 0.03 THEN 'pending_dispatch' WHEN fresh AND h < 0.5 THEN 'dispatched'
        WHEN fresh THEN 'in_progress' WHEN h < 0.15 THEN 'in_progress' WHEN h < 0.25 THEN 'replied'
        WHEN h < 0.37 THEN 'closed' WHEN h < 0.38 THEN 'callback_manual' ELSE 'archived' END AS status
      FROM h)
UPDATE dispatch_ticket t SET
    status = s.status,
    replied_at = CASE WHEN s.status IN ('replied', 'closed', 'callback_manual', 'archived')
                      THEN s.received_at + interval '1 day' END,
    closed_at = CASE WHEN s.status IN ('closed', 'callback_manual', 'archived') THEN s.received_at + interval '2 days' END,
    callback_due = CASE WHEN s.status IN ('closed', 'callback_manual') THEN s.received_at + interval '3 days' END,
    satisfaction = CASE WHEN s.status = 'archived' THEN 'satisfied' ELSE '' END,
    resolve_by = s.received_at + interval '5 days',
    near_deadline_at = CASE WHEN s.status IN ('dispatched', 'in_progress') AND now() > s.received_at + interval '4 days'
                            THEN s.received_at + interval '4 days' END,
    overdue_at = CASE WHEN s.status IN ('dispatched', 'in_progress') AND now() > s.received_at + interval '5 days'
                      THEN s.received_at + interval '5 days' END
FROM s WHERE s.id = t.id;
WITH lead AS (SELECT DISTINCT ON (area_code) area_code, id FROM grid_office
              WHERE area_code <> '' ORDER BY area_code, id)
INSERT INTO dispatch_assignment (ticket_id, office_id, role, step, state, is_active, why, assigned_at,
                                 signed_at, replied_at, return_reason)
SELECT t.id, coalesce(o.id, c.id), 'lead', 1,
       CASE WHEN t.status = 'replied' THEN 'replied' WHEN t.status = 'dispatched' THEN 'assigned'
            WHEN ((t.id * 40503) % 100) < 2 THEN 'return_requested' ELSE 'signed' END,
       true, 'bench', t.received_at + interval '10 minutes',
       CASE WHEN t.status <> 'dispatched' THEN t.received_at + interval '1 hour' END,
       CASE WHEN t.status = 'replied' THEN t.replied_at END,
       CASE WHEN t.status = 'in_progress' AND ((t.id * 40503) % 100) < 2 THEN '不属于本单位职责' ELSE '' END
FROM dispatch_ticket t
LEFT JOIN lead o ON o.area_code = t.township_code
LEFT JOIN lead c ON c.area_code = t.county_code
WHERE t.number LIKE 'BEN-%' AND t.status IN ('dispatched', 'in_progress', 'replied')
  AND coalesce(o.id, c.id) IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dispatch_assignment a WHERE a.ticket_id = t.id);
UPDATE dispatch_assignment a SET state = 'signed', return_reason = ''
FROM dispatch_ticket t WHERE t.id = a.ticket_id AND a.state = 'return_requested' AND t.status <> 'in_progress';
"""


def prepare_desks() -> str:
    """DESK_STATES_SQL once (a second run finds every bench ticket with its center); what the desks hold."""
    from django.db import connection, transaction

    from dispatch.models import Ticket

    if Ticket.objects.filter(number__startswith="BEN-", center__isnull=True).exists():
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(CENTER_SQL)
        print(f"centers given in {time.perf_counter() - t0:.0f} s", flush=True)
    if not Ticket.objects.filter(number__startswith="BEN-", assignments__isnull=False).exists():
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(DESK_STATES_SQL)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE dispatch_ticket")
            cur.execute("VACUUM ANALYZE dispatch_assignment")
        print(f"desk states prepared in {time.perf_counter() - t0:.0f} s", flush=True)
    from django.db.models import Count

    by = dict(Ticket.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    from dispatch.models import Assignment

    returns = Assignment.objects.filter(is_active=True, state="return_requested").count()
    near = Ticket.objects.filter(near_deadline_at__isnull=False, overdue_at__isnull=True).count()
    overdue = Ticket.objects.filter(overdue_at__isnull=False, status__in=("dispatched", "in_progress")).count()
    return (
        f"States: {by.get('pending_dispatch', 0):,} waiting for manual dispatch, {returns:,} return requests, "
        f"{by.get('replied', 0):,} replies waiting for review, {by.get('closed', 0) + by.get('callback_manual', 0):,} "
        f"callbacks owed, {near:,} near the deadline, {overdue:,} overdue, "
        f"{by.get('dispatched', 0) + by.get('in_progress', 0):,} open in all."
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", default="", help="a bench database in the same cluster (default: the dev one)")
    parser.add_argument("--prepare", action="store_true", help="give the bench tickets centers and desk states")
    parser.add_argument("--naive-runs", type=int, default=3, help="0: leave the naive first page out")
    parser.add_argument("--note", default="", help="a line said before the table")
    args = parser.parse_args()
    setup_django()
    from django.db import connections
    from django.test import Client

    if args.database:
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = args.database
    states = prepare_desks() if args.prepare else ""

    from dispatch.models import Ticket
    from grid.models import User

    total = Ticket.objects.count()
    target = 0.3 if total < 100_000 else 0.5
    lines = [
        *([args.note, ""] if args.note else []),
        f"{total:,} tickets in the database{' `' + args.database + '`' if args.database else ''}. {states} "
        f"Each desk's first page through Django's test client ({args.repeat} requests after one warm-up)"
        + (
            f", beside the naive first page (every ticket through the per-object policy, {args.naive_runs} runs)"
            if args.naive_runs
            else " (the naive first page, every ticket through the per-object policy, left out at this size)"
        )
        + f". Target: p95 ≤ {target * 1000:.0f} ms.",
        "",
        "| user | desk | page p50 | page p95 | naive p50 | faster |",
        "|---|---|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for username in ("city_dispatcher", "xinhua_dispatcher"):
        user = User.objects.select_related("office").get(username=username)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for desk, path in DESKS.items():
            assert client.get(path).status_code == 200
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(path)
                times.append(time.perf_counter() - t0)
            naive = []
            for _ in range(args.naive_runs):
                t0 = time.perf_counter()
                naive_first_page(user, desk)
                naive.append(time.perf_counter() - t0)
            p50, p95 = percentile(times, 50), percentile(times, 95)
            n50 = percentile(naive, 50) if naive else None
            worst = max(worst, p95)
            naive_cells = f"{n50 * 1000:.0f} ms | {n50 / p50:.0f}×" if n50 else "— | —"
            lines.append(f"| {username} | {desk} | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms | {naive_cells} |")
            print(username, desk, summary_ms(times), "naive", summary_ms(naive) if naive else "—", flush=True)
    lines += [
        "",
        f"Worst desk p95: {worst * 1000:.1f} ms (target ≤ {target * 1000:.0f} ms): "
        f"{'met' if worst <= target else 'NOT met'}.",
    ]
    record("Center desks (bench/desks.py)", lines)


if __name__ == "__main__":
    main()
