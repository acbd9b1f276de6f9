"""A month's assessment over 100,000 tickets: the one-pass SQL of assessment.metrics
against a naive per-unit ORM version (one count query per unit and metric); storing
the month (assessment.store), reading it back against recomputing it (what
a page did after every event before the stored table), the supervisor's refresh
after one new event and when nothing arrived, and the month and drill-down pages
through Django's test client. The tickets are made inside a transaction that is
rolled back. Run: `.venv/bin/python bench/assessment.py`."""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from _common import record, setup_django


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django()
    from django.db import transaction
    from django.db.models import F, Q
    from django.test import Client
    from django.utils import timezone

    from assessment.metrics import assess_month, month_bounds, ranked_units
    from assessment.store import month_tables, refresh_assessment, store_month
    from dispatch.models import Assignment, Ticket, TicketEvent
    from grid.models import Office, User

    rng = random.Random(12345)
    tz = timezone.get_current_timezone()
    year, month = 2030, 1
    offices = list(Office.objects.exclude(kind__in=["city_center", "sub_center", "county_dispatch"]))
    lines = []
    try:
        with transaction.atomic():
            t0 = time.perf_counter()
            tickets, assignments = [], []
            for i in range(args.tickets):
                received = dt.datetime(year, month, 1 + i % 28, rng.randrange(24), tzinfo=tz)
                signed = received + dt.timedelta(minutes=rng.randrange(180)) if rng.random() < 0.95 else None
                replied = received + dt.timedelta(hours=rng.randrange(200)) if signed and rng.random() < 0.8 else None
                tickets.append(
                    Ticket(
                        number=f"BENCH-{i:07d}",
                        channel="phone",
                        kind="complaint",
                        description="bench",
                        status="archived" if replied else "in_progress",
                        received_at=received,
                        sign_by=received + dt.timedelta(hours=1),
                        resolve_by=received + dt.timedelta(days=5),
                        contacted_at=signed,
                        replied_at=replied,
                        closed_at=replied,
                        satisfaction=rng.choice(["satisfied", "basic", "unsatisfied"]) if replied else "",
                        overdue_at=None if replied else received + dt.timedelta(days=5),
                    )
                )
            Ticket.objects.bulk_create(tickets, batch_size=5000)
            for t in tickets:
                assignments.append(
                    Assignment(
                        ticket=t,
                        office=rng.choice(offices),
                        role="lead",
                        state="closed",
                        why="bench",
                        assigned_at=t.received_at,
                        signed_at=t.contacted_at,
                        replied_at=t.replied_at,
                    )
                )
            Assignment.objects.bulk_create(assignments, batch_size=5000)
            lines.append(f"- {args.tickets:,} tickets and lead assignments made in {time.perf_counter() - t0:.1f} s")

            t0 = time.perf_counter()
            tables = assess_month(year, month)
            fast = time.perf_counter() - t0
            ranked = sum(1 for rows in tables.values() for u in rows if u.rank)

            start, end = month_bounds(year, month)
            t0 = time.perf_counter()
            naive_scores = {}
            for _group, office, prefix in ranked_units():
                base = Assignment.objects.filter(role="lead", assigned_at__gte=start, assigned_at__lt=end)
                base = (
                    base.filter(office__area_code__startswith=prefix).exclude(office__kind="department")
                    if prefix
                    else base.filter(office=office)
                )
                base = base.exclude(state="returned")
                handled = base.count()
                naive_scores[office.id] = (
                    handled,
                    base.filter(signed_at__lte=F("ticket__sign_by")).count(),
                    base.filter(ticket__contacted_at__isnull=False).count(),
                    base.filter(replied_at__lte=F("ticket__resolve_by")).count(),
                    base.filter(ticket__closed_at__isnull=False).count(),
                    base.filter(ticket__overdue_at__isnull=False).count(),
                    base.filter(~Q(ticket__satisfaction="")).count(),
                    base.filter(ticket__satisfaction__in=["satisfied", "basic"]).count(),
                )
            naive = time.perf_counter() - t0
            agree = all(naive_scores[u.office_id][0] == u.counts["handled"] for rows in tables.values() for u in rows)

            t0 = time.perf_counter()
            store_month(year, month)
            stored = time.perf_counter() - t0
            reads, recomputes = [], []
            for _ in range(5):
                t0 = time.perf_counter()
                month_tables(year, month)
                reads.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                assess_month(year, month)
                recomputes.append(time.perf_counter() - t0)

            later = dt.datetime(year, month + 1, 15, tzinfo=tz)  # the supervisor runs in the next month
            refresh_assessment(now=later)  # brings the next (current) month and the watermarks up to date
            t0 = time.perf_counter()
            idle = refresh_assessment(now=later)
            idle_s = time.perf_counter() - t0
            ticket = tickets[len(tickets) // 2]
            Ticket.objects.filter(pk=ticket.pk).update(closed_at=ticket.received_at + dt.timedelta(days=1))
            TicketEvent.objects.create(
                ticket=ticket, at=later, action="close", from_status="replied", to_status="closed"
            )
            t0 = time.perf_counter()
            touched = refresh_assessment(now=later)
            touched_s = time.perf_counter() - t0

            client = Client()
            client.force_login(User.objects.get(username="city_dispatcher"))
            page = []
            for _ in range(6):
                t0 = time.perf_counter()
                assert client.get(f"/assessment/{year}-{month:02d}/").status_code == 200
                page.append(time.perf_counter() - t0)
            biggest = max(
                (u for rows in month_tables(year, month).tables.values() for u in rows),
                key=lambda u: u.counts.get("handled", 0),
            )
            drill = []
            for _ in range(4):
                t0 = time.perf_counter()
                assert client.get(f"/assessment/{year}-{month:02d}/unit/{biggest.office_id}/").status_code == 200
                drill.append(time.perf_counter() - t0)
            lines += [
                f"- one-pass SQL assessment of the month: {fast:.2f} s ({ranked} units ranked) — target ≤ 10 s",
                f"- naive per-unit ORM (8 count queries per unit, fewer metrics): {naive:.2f} s; handled counts agree: {agree}",
                f"- storing the month (one-pass SQL + {sum(map(len, tables.values()))} rows written): {stored:.2f} s",
                f"- reading the stored month: p50 {sorted(reads)[2] * 1000:.1f} ms, against recomputing it "
                f"(what the page did after any event, before): p50 {sorted(recomputes)[2] * 1000:.0f} ms",
                f"- supervisor refresh with nothing new: {idle_s * 1000:.0f} ms ({idle}); "
                f"after one event on a ticket of the month: {touched_s:.2f} s ({touched})",
                f"- month page of a stored month (previous month, arrows, 4 SVG charts): p50 "
                f"{sorted(page[1:])[2] * 1000:.0f} ms, worst {max(page[1:]) * 1000:.0f} ms (first load {page[0] * 1000:.0f} ms, "
                f"computes the previous month) — target ≤ 300 ms",
                f"- drill-down of the biggest unit ({biggest.name}, {biggest.counts['handled']:,} tickets): p50 "
                f"{sorted(drill[1:])[1] * 1000:.0f} ms, worst {max(drill[1:]) * 1000:.0f} ms (first load {drill[0] * 1000:.0f} ms, "
                "computes the 6-month trend)",
            ]
            raise Rollback
    except Rollback:
        pass
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Assessment (bench/assessment.py)", lines)


if __name__ == "__main__":
    main()
