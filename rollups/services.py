"""The supervisor's job: fold the deltas the triggers left into the daily cells, set-based.

Why triggers and a delta log rather than reading TicketEvent past a watermark: a ticket's cell
changes on writes that leave no event, or an event that does not say where the ticket was
counted before (reclassification, a corrected address or point, the COPY loads, `update()`s in
services and migrations). The triggers see the old and the new row in the writing transaction,
so the counts cannot drift; and they only append, so two transactions never wait on the same
hot cell (today's, in a busy community) — the fold does the one write per cell, once per pass.
"""

from __future__ import annotations

from django.db import connection, transaction

from .models import KEY_FIELDS

_FOLD_LOCK = 1_2345_0017  # pg advisory lock: one fold at a time, across supervisors

_KEY = ", ".join(KEY_FIELDS)
_FOLD_SQL = f"""
WITH d AS (DELETE FROM rollups_delta RETURNING {_KEY}, tickets, urgent, located, sum_lon, sum_lat),
g AS (
    SELECT {_KEY}, sum(tickets) AS tickets, sum(urgent) AS urgent, sum(located) AS located,
           sum(sum_lon) AS sum_lon, sum(sum_lat) AS sum_lat, count(*) AS deltas
    FROM d GROUP BY {_KEY}
),
up AS (
    INSERT INTO rollups_dailycount ({_KEY}, tickets, urgent, located, sum_lon, sum_lat)
    SELECT {_KEY}, tickets, urgent, located, sum_lon, sum_lat FROM g
    ON CONFLICT ({_KEY}) DO UPDATE SET
        tickets = rollups_dailycount.tickets + EXCLUDED.tickets,
        urgent = rollups_dailycount.urgent + EXCLUDED.urgent,
        located = rollups_dailycount.located + EXCLUDED.located,
        sum_lon = rollups_dailycount.sum_lon + EXCLUDED.sum_lon,
        sum_lat = rollups_dailycount.sum_lat + EXCLUDED.sum_lat
    RETURNING id, tickets
),
m AS (
    INSERT INTO rollups_monthlycount ({_KEY}, tickets, urgent, located, sum_lon, sum_lat)
    SELECT date_trunc('month', day)::date, {_KEY.replace("day, ", "")},
           sum(tickets), sum(urgent), sum(located), sum(sum_lon), sum(sum_lat)
    FROM g GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ({_KEY}) DO UPDATE SET
        tickets = rollups_monthlycount.tickets + EXCLUDED.tickets,
        urgent = rollups_monthlycount.urgent + EXCLUDED.urgent,
        located = rollups_monthlycount.located + EXCLUDED.located,
        sum_lon = rollups_monthlycount.sum_lon + EXCLUDED.sum_lon,
        sum_lat = rollups_monthlycount.sum_lat + EXCLUDED.sum_lat
    RETURNING id, tickets
),
td AS (
    INSERT INTO rollups_townshipday (day, county_code, township_code, state, tickets, urgent, located, sum_lon, sum_lat)
    SELECT day, county_code, township_code, state, sum(tickets), sum(urgent), sum(located), sum(sum_lon), sum(sum_lat)
    FROM g GROUP BY 1, 2, 3, 4
    ON CONFLICT (day, county_code, township_code, state) DO UPDATE SET
        tickets = rollups_townshipday.tickets + EXCLUDED.tickets,
        urgent = rollups_townshipday.urgent + EXCLUDED.urgent,
        located = rollups_townshipday.located + EXCLUDED.located,
        sum_lon = rollups_townshipday.sum_lon + EXCLUDED.sum_lon,
        sum_lat = rollups_townshipday.sum_lat + EXCLUDED.sum_lat
    RETURNING id, tickets
),
tm AS (
    INSERT INTO rollups_townshipmonth (day, county_code, township_code, state, tickets, urgent, located, sum_lon, sum_lat)
    SELECT date_trunc('month', day)::date, county_code, township_code, state,
           sum(tickets), sum(urgent), sum(located), sum(sum_lon), sum(sum_lat)
    FROM g GROUP BY 1, 2, 3, 4
    ON CONFLICT (day, county_code, township_code, state) DO UPDATE SET
        tickets = rollups_townshipmonth.tickets + EXCLUDED.tickets,
        urgent = rollups_townshipmonth.urgent + EXCLUDED.urgent,
        located = rollups_townshipmonth.located + EXCLUDED.located,
        sum_lon = rollups_townshipmonth.sum_lon + EXCLUDED.sum_lon,
        sum_lat = rollups_townshipmonth.sum_lat + EXCLUDED.sum_lat
    RETURNING id, tickets
)
SELECT (SELECT coalesce(sum(deltas), 0) FROM g), array(SELECT id FROM up WHERE tickets = 0),
       array(SELECT id FROM m WHERE tickets = 0), array(SELECT id FROM td WHERE tickets = 0),
       array(SELECT id FROM tm WHERE tickets = 0)
"""


def fold() -> int | None:
    """Fold every delta committed so far into its cell (emptied cells are removed); how many delta
    rows were folded, or None when another supervisor is folding right now (it takes them)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FOLD_LOCK])
        if not cur.fetchone()[0]:
            return None
        cur.execute(_FOLD_SQL)
        folded, *empty = cur.fetchone()
        tables = ("rollups_dailycount", "rollups_monthlycount", "rollups_townshipday", "rollups_townshipmonth")
        for table, ids in zip(tables, empty, strict=True):
            if ids:
                cur.execute(f"DELETE FROM {table} WHERE id = ANY(%s) AND tickets = 0", [ids])
    return int(folded)
