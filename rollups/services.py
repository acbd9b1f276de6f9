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

from .models import GRID_KEY, KEY_FIELDS

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


_GKEY = ", ".join(GRID_KEY)
_GRID_VALUES = "tickets, urgent, sum_lon, sum_lat"


def _grid_upsert(table: str, select: str) -> str:
    return f"""INSERT INTO {table} ({_GKEY}, {_GRID_VALUES}) {select}
    ON CONFLICT ({_GKEY}) DO UPDATE SET
        tickets = {table}.tickets + EXCLUDED.tickets,
        urgent = {table}.urgent + EXCLUDED.urgent,
        sum_lon = {table}.sum_lon + EXCLUDED.sum_lon,
        sum_lat = {table}.sum_lat + EXCLUDED.sum_lat
    RETURNING id, tickets"""


# The grid's deltas (migration 0003) folded the same way into its daily and monthly cells.
_FOLD_GRID_SQL = f"""
WITH d AS (DELETE FROM rollups_griddelta RETURNING {_GKEY}, {_GRID_VALUES}),
g AS (
    SELECT {_GKEY}, sum(tickets) AS tickets, sum(urgent) AS urgent, sum(sum_lon) AS sum_lon,
           sum(sum_lat) AS sum_lat, count(*) AS deltas
    FROM d GROUP BY {_GKEY}
),
up AS ({_grid_upsert("rollups_gridday", f"SELECT {_GKEY}, {_GRID_VALUES} FROM g")}),
m AS ({
    _grid_upsert(
        "rollups_gridmonth",
        "SELECT date_trunc('month', day)::date, county_code, township_code, cx, cy, state, "
        "sum(tickets), sum(urgent), sum(sum_lon), sum(sum_lat) FROM g GROUP BY 1, 2, 3, 4, 5, 6",
    )
})
SELECT (SELECT coalesce(sum(deltas), 0) FROM g), array(SELECT id FROM up WHERE tickets = 0),
       array(SELECT id FROM m WHERE tickets = 0)
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
        cur.execute(_FOLD_GRID_SQL)
        grid_folded, *grid_empty = cur.fetchone()
        tables += ("rollups_gridday", "rollups_gridmonth")
        for table, ids in zip(tables, [*empty, *grid_empty], strict=True):
            if ids:
                cur.execute(f"DELETE FROM {table} WHERE id = ANY(%s) AND tickets = 0", [ids])
    return int(folded) + int(grid_folded)


_CELL_TABLES = (
    "rollups_delta",
    "rollups_dailycount",
    "rollups_monthlycount",
    "rollups_townshipday",
    "rollups_townshipmonth",
    "rollups_griddelta",
    "rollups_gridday",
    "rollups_gridmonth",
)


def recount() -> int:
    """Every cell counted again from the tickets, set-based, under the fold's lock: after a bulk
    load that ran with the triggers off (bench/scale.py generate), or to repair by hand. Writers
    keep writing deltas meanwhile (the tables are locked for the recount's transaction, so a
    writer's trigger waits for it). How many daily cells there are."""
    import importlib

    first = importlib.import_module("rollups.migrations.0001_counts")
    township = importlib.import_module("rollups.migrations.0002_township_totals")
    grid = importlib.import_module("rollups.migrations.0003_grid_cells")
    # 0001's SQL after its triggers: the fill.
    counts_fill = first._triggers_sql().split("-- The tickets already there, counted once, set-based.")[1]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_FOLD_LOCK])
        cur.execute("TRUNCATE " + ", ".join(_CELL_TABLES))
        cur.execute(counts_fill)
        cur.execute(township.FILL)
        cur.execute(grid.fill_sql())
        cur.execute("SELECT count(*) FROM rollups_dailycount")
        return int(cur.fetchone()[0])
