"""Handling rounds on record (issue 15): what keeping them costs on the demo database.

1. The migration's backfill (dispatch 0007, set-based SQL) over every ticket of the database.
2. The bulk loaders' COPY path: the same tickets (a demo batch of another seed) COPYed into
   dispatch_ticket with the round trigger on, and as the baseline with it disabled, in one process.
Everything runs inside a transaction that is rolled back: the database is left as it was.

    .venv/bin/python bench/rounds.py [--tickets 4000]
"""

from __future__ import annotations

import argparse
import importlib
import time

from _common import record, setup_django


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=4000)
    args = ap.parse_args()
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from core.bulk import allocate_ids, copy_insert
    from dispatch.models import HandlingRound, Ticket
    from loaders.demo.load import DemoGenerator

    migration = importlib.import_module("dispatch.migrations.0007_handling_rounds")
    lines = []

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic(), connection.cursor() as cur:
            tickets = Ticket.objects.count()
            cur.execute("DELETE FROM dispatch_handlinground")
            started = time.perf_counter()
            for sql in migration.BACKFILL:
                cur.execute(sql)
            backfill = time.perf_counter() - started
            rounds = HandlingRound.objects.count()
            lines.append(f"- backfill of {tickets:,} tickets → {rounds:,} rounds: {backfill:.2f} s")

            end = timezone.now().replace(minute=0, second=0, microsecond=0)
            gen = DemoGenerator(seed=9157, days=30, end=end)
            built = gen.build(0, gen.received_times(args.tickets))
            times = {}
            for label, trigger in (("baseline: trigger disabled", False), ("with the round trigger", True)):
                cur.execute("SAVEPOINT bench_copy")
                if not trigger:
                    cur.execute("ALTER TABLE dispatch_ticket DISABLE TRIGGER dispatch_ticket_round_insert")
                for t in built.tickets:
                    t.pk = None
                new = built.tickets
                for t, pk in zip(new, allocate_ids(Ticket, len(new)), strict=True):
                    t.pk = pk
                started = time.perf_counter()
                copy_insert(Ticket, built.tickets)
                times[label] = time.perf_counter() - started
                made = HandlingRound.objects.filter(ticket_id__in=[t.pk for t in built.tickets]).count()
                lines.append(
                    f"- COPY {len(built.tickets):,} tickets, {label}: {times[label]:.2f} s "
                    f"({len(built.tickets) / times[label]:,.0f} tickets/s; {made:,} rounds written)"
                )
                cur.execute("ROLLBACK TO SAVEPOINT bench_copy")
            raise Rollback
    except Rollback:
        pass
    base, live = times["baseline: trigger disabled"], times["with the round trigger"]
    lines.append(f"- the trigger's cost on the COPY path: {live - base:+.2f} s ({(live / base - 1) * 100:+.0f}%)")
    lines.append("")
    lines.append("Note: the machine is shared; the two COPY runs are back to back in one process, the baseline first.")
    print("\n".join(lines))
    record("Handling rounds: backfill and the COPY path (bench/rounds.py)", lines)


if __name__ == "__main__":
    main()
