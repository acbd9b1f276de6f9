"""What honouring upheld appeals [AR-5] costs the month's one-pass SQL: assessment.metrics.SQL (with the
`ap` lateral join over assessment_exemption and the per-metric flags) against the same query with the
appeal flags stripped (the query before appeals), on the database's busiest month, with no exemption and
with 200 upheld appeals (exemptions inside a transaction that is rolled back). Run:
`.venv/bin/python bench/appeals.py` (on the demo database of `make setup`)."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from _common import record, setup_django


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction
    from django.utils import timezone

    from assessment import metrics
    from assessment.models import Exemption
    from dispatch.models import Assignment

    # the query before appeals: no lateral join, no per-metric flags
    baseline = metrics.SQL
    baseline = re.sub(
        r"LEFT JOIN LATERAL \(\n  SELECT array_agg\(x\.metric\).*?\) ap ON true\n", "", baseline, flags=re.S
    )
    baseline = re.sub(r" (OR|AND NOT) coalesce\('\w+' = ANY\(ap\.metrics\), false\)\)", ")", baseline)
    assert "ap." not in baseline

    with connection.cursor() as cur:
        cur.execute(
            "SELECT date_trunc('month', assigned_at AT TIME ZONE 'Asia/Shanghai')::date AS m, count(*) "
            "FROM dispatch_assignment WHERE role = 'lead' GROUP BY m ORDER BY 2 DESC LIMIT 1"
        )
        month, leads = cur.fetchone()
    start, end = metrics.month_bounds(month.year, month.month)
    params = {"start": start, "end": end, "now": timezone.now()}

    def timed(sql: str) -> tuple[float, list]:
        runs, rows = [], None
        for _ in range(args.repeat):
            with connection.cursor() as cur:
                t0 = time.perf_counter()
                cur.execute(sql, params)
                rows = cur.fetchall()
                runs.append(time.perf_counter() - t0)
        return statistics.median(runs) * 1000, rows

    load = os.getloadavg()
    lines = [
        f"Month {month:%Y-%m}: {leads} lead assignments; median of {args.repeat} runs; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a machine shared by several engineers: noisy).",
        "",
        "| exemptions | before appeals (ms) | with appeals honoured (ms) |",
        "|---|---|---|",
    ]
    base_ms, base_rows = timed(baseline)
    new_ms, new_rows = timed(metrics.SQL)
    assert base_rows == new_rows  # no exemption: the same figures
    lines.append(f"| none | {base_ms:.1f} | {new_ms:.1f} |")
    try:
        with transaction.atomic():
            picks = Assignment.objects.filter(role="lead", assigned_at__gte=start, assigned_at__lt=end)[:200]
            now = timezone.now()
            Exemption.objects.bulk_create(
                Exemption(
                    ticket_id=a.ticket_id,
                    assignment=a,
                    metric="contact_rate",
                    kind=Exemption.Kind.APPEAL_UPHELD,
                    reason="bench",
                    ruled_at=now,
                )
                for a in picks
            )
            base_ms, _rows = timed(baseline)
            new_ms, _rows = timed(metrics.SQL)
            lines.append(f"| 200 upheld appeals | {base_ms:.1f} (ignores them) | {new_ms:.1f} |")
            raise Rollback
    except Rollback:
        pass
    if args.no_record:
        print("\n".join(lines))
    else:
        record("Appeals honoured by the month's SQL (bench/appeals.py)", lines)


if __name__ == "__main__":
    main()
