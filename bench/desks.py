"""The center's desks [ORG-1..3]: each desk's first page (the list and its tab counts, rendered through
Django's test client) for the city center and a county dispatch center, on the demo database (20,000
tickets), beside a naive baseline that finds the same first page by loading every ticket and asking
dispatch.policy.is_center_user of each one (the per-object permission check a first version would do).

    .venv/bin/python bench/desks.py [--repeat 30]

Target (issue 14): each desk's first page ≤ 300 ms p95 with the 20,000 demo tickets.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    from django.test import Client

    from dispatch.models import Ticket
    from grid.models import User

    total = Ticket.objects.count()
    lines = [
        f"{total:,} tickets in the database. Each desk's first page through Django's test client "
        f"({args.repeat} requests after one warm-up), beside the naive first page (every ticket through the "
        "per-object policy, 3 runs). Target: p95 ≤ 300 ms.",
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
            for _ in range(3):
                t0 = time.perf_counter()
                naive_first_page(user, desk)
                naive.append(time.perf_counter() - t0)
            p50, p95, n50 = percentile(times, 50), percentile(times, 95), percentile(naive, 50)
            worst = max(worst, p95)
            lines.append(
                f"| {username} | {desk} | {p50 * 1000:.1f} ms | {p95 * 1000:.1f} ms | {n50 * 1000:.0f} ms | {n50 / p50:.0f}× |"
            )
            print(username, desk, summary_ms(times), "naive", summary_ms(naive))
    lines += ["", f"Worst desk p95: {worst * 1000:.1f} ms (target ≤ 300 ms): {'met' if worst <= 0.3 else 'NOT met'}."]
    record("Center desks (bench/desks.py)", lines)


if __name__ == "__main__":
    main()
