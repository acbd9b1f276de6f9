"""Reads of the rollups: the cells of a range of days (whole months from the monthly cells, the
rest from the daily ones, plus the deltas not folded yet, so a figure is exact at any moment),
and the figures the maps and briefings take from them [AN-1][AN-2].

The cells count every ticket by its area codes, so they answer for a user who sees whole areas:
the city (policy.area_filter(user) is None) or an area inside it. A county or township office
also sees tickets assigned to it elsewhere, which no cell knows: those users read the tickets.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from core.dbrouter import read_connection
from dispatch import policy
from dispatch.analytics import MERCATOR_M_PER_DEG, MERCATOR_R, Bin, bin_size_for, cell_size_m, mercator
from dispatch.models import OPEN_STATUSES, Category, Ticket

from .models import GRID_ZOOM, State

EPOCH = dt.date(2000, 1, 1)
# Bins from township means only when a bin is wider than a township (~10 km across): zoom ≤ 10 at 64 px.
MIN_CELL_M = 9_000.0


def covers(user) -> bool:
    """True when the user sees every ticket of an area by its codes (the city's users)."""
    return policy.area_filter(user) is None


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _filters(area_code: str, category_ids: list[int] | None, states: list[str] | None) -> tuple[str, list]:
    sql, params = "", []
    if area_code:
        sql += " AND (county_code = %s OR township_code = %s)"
        params += [area_code, area_code]
    if category_ids is not None:
        sql += " AND category_id = ANY(%s)"
        params.append(list(category_ids))
    if states is not None:
        sql += " AND state = ANY(%s)"
        params.append(list(states))
    return sql, params


def cells_sql(
    day_from: dt.date,
    day_to: dt.date,
    *,
    area_code: str = "",
    category_ids: list[int] | None = None,
    states: list[str] | None = None,
    township_totals: bool = False,
) -> tuple[str, list]:
    """SQL of the cells of the days [day_from, day_to): a derived table with the columns of the
    cells (day, county_code, township_code, category_id, channel, state, tickets, urgent,
    located, sum_lon, sum_lat), rows of several grains that sum to the exact counts."""
    cols = "day, county_code, township_code, category_id, channel, state, tickets, urgent, located, sum_lon, sum_lat"
    daily_t, monthly_t = "rollups_dailycount", "rollups_monthlycount"
    if township_totals:  # no category or channel asked for: the township totals, ~13× fewer cells
        assert category_ids is None
        cols = "day, county_code, township_code, state, tickets, urgent, located, sum_lon, sum_lat"
        daily_t, monthly_t = "rollups_townshipday", "rollups_townshipmonth"
    where, fparams = _filters(area_code, category_ids, states)
    parts: list[str] = []
    params: list = []
    m_from = day_from if day_from.day == 1 else _next_month(day_from)
    m_to = _month_start(day_to)
    if m_from < m_to:  # whole months in between
        parts.append(f"SELECT {cols} FROM {monthly_t} WHERE day >= %s AND day < %s{where}")
        params += [m_from, m_to, *fparams]
        daily = [(day_from, m_from), (m_to, day_to)]
    else:
        daily = [(day_from, day_to)]
    for lo, hi in daily:
        if lo < hi:
            parts.append(f"SELECT {cols} FROM {daily_t} WHERE day >= %s AND day < %s{where}")
            params += [lo, hi, *fparams]
    parts.append(f"SELECT {cols} FROM rollups_delta WHERE day >= %s AND day < %s{where}")
    params += [day_from, day_to, *fparams]
    return "(" + " UNION ALL ".join(parts) + ")", params


def category_ids_of(category: Category | None) -> list[int] | None:
    """A leaf category, or a top-level one with its leaves (as dispatch.selectors.filter_tickets)."""
    if category is None:
        return None
    return [category.id, *Category.objects.filter(parent=category).values_list("id", flat=True)]


# -- the maps: city-wide bins --------------------------------------------------------------


@dataclass
class _Township:
    code: str
    tickets: int
    open: int
    urgent: int
    sum_lon: float
    sum_lat: float
    overdue: int = 0


_TOWNSHIP_SQL = """
SELECT township_code, sum(located), sum(located) FILTER (WHERE state = 'open'), sum(urgent),
       sum(sum_lon), sum(sum_lat)
FROM {cells} c
WHERE township_code <> ''
GROUP BY township_code
HAVING sum(located) > 0
"""

# Tickets the cells cannot place: those of the first, partial day of the range and those without
# a township (their positions are not a township's). Counted one by one, as the tickets' path does.
_LOOSE_SQL = """
SELECT t.number, t.status, t.urgency, t.category_id, ST_X(t.point), ST_Y(t.point),
       t.status = ANY(%s), t.status = ANY(%s) AND t.resolve_by < %s
FROM dispatch_ticket t
WHERE t.point IS NOT NULL AND t.township_code = '' AND t.received_at >= %s {where}
"""

# The first, partial day of the range: its tickets per township, added to the township's cells.
_FIRST_DAY_SQL = """
SELECT t.township_code, count(*), count(*) FILTER (WHERE t.status = ANY(%s)),
       count(*) FILTER (WHERE t.urgency <> 'general'), sum(ST_X(t.point)), sum(ST_Y(t.point)),
       count(*) FILTER (WHERE t.status = ANY(%s) AND t.resolve_by < %s)
FROM dispatch_ticket t
WHERE t.point IS NOT NULL AND t.township_code <> '' AND t.received_at >= %s AND t.received_at < %s {where}
GROUP BY t.township_code
"""

_OVERDUE_SQL = """
SELECT t.township_code, count(*)
FROM dispatch_ticket t
WHERE t.status = ANY(%s) AND t.resolve_by < %s AND t.point IS NOT NULL
  AND t.received_at >= %s AND t.township_code <> '' {where}
GROUP BY t.township_code
"""


def _ticket_filters(area_code: str, category_ids: list[int] | None) -> tuple[str, list]:
    sql, params = "", []
    if area_code:
        sql += " AND (t.county_code = %s OR t.township_code = %s)"
        params += [area_code, area_code]
    if category_ids is not None:
        sql += " AND t.category_id = ANY(%s)"
        params.append(list(category_ids))
    return sql, params


def point_bins(
    *,
    bbox: tuple[float, float, float, float],
    zoom: int,
    since: dt.datetime,
    now: dt.datetime,
    area_code: str = "",
    category: Category | None = None,
) -> tuple[list[Bin], float]:
    """The city-wide bins of dispatch.analytics.point_bins from the cells: each township's tickets
    at their mean position (a township is smaller than a bin at these zooms), binned on the same
    Web Mercator grid; the first, partial day and tickets without a township one by one. Counts
    are exact; a ticket sits in the bin of its township's mean rather than of its own point, and
    `urgent` counts a township's urgent tickets with or without a point."""
    from dispatch.analytics import UNANSWERED_STATUSES

    size = bin_size_for(bbox, zoom)
    west, south, east, north = bbox
    category_ids = category_ids_of(category)
    first_full = local_day(since)
    if day_start(first_full) < since:
        first_full += dt.timedelta(days=1)
    day_to = local_day(now) + dt.timedelta(days=1)
    cells, params = cells_sql(
        first_full,
        max(day_to, first_full),
        area_code=area_code,
        category_ids=category_ids,
        township_totals=category_ids is None,
    )
    where, wparams = _ticket_filters(area_code, category_ids)
    with read_connection().cursor() as cur:
        cur.execute(_TOWNSHIP_SQL.format(cells=cells), params)
        towns = {r[0]: _Township(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0), r[4], r[5]) for r in cur.fetchall()}
        cur.execute(_OVERDUE_SQL.format(where=where), [list(OPEN_STATUSES), now, day_start(first_full), *wparams])
        for code, n in cur.fetchall():
            if code in towns:
                towns[code].overdue = n
        flags = [list(UNANSWERED_STATUSES), list(OPEN_STATUSES), now]
        if since < day_start(first_full):
            cur.execute(_FIRST_DAY_SQL.format(where=where), [*flags, since, day_start(first_full), *wparams])
            for code, n, open_, urgent, sx, sy, overdue in cur.fetchall():
                t = towns.setdefault(code, _Township(code, 0, 0, 0, 0.0, 0.0))
                t.tickets += n
                t.open += open_
                t.urgent += urgent
                t.sum_lon += sx
                t.sum_lat += sy
                t.overdue += overdue
        cur.execute(_LOOSE_SQL.format(where=where), [*flags, since, *wparams])
        loose = cur.fetchall()

    # Every contribution: (lon, lat, count, open, overdue, urgent, single ticket or None).
    items: list[tuple[float, float, int, int, int, int, tuple | None]] = []
    for t in towns.values():
        lon, lat = t.sum_lon / t.tickets, t.sum_lat / t.tickets
        items.append((lon, lat, t.tickets, t.open, t.overdue, t.urgent, None))
    for number, status, urgency, category_id, lon, lat, is_open, is_overdue in loose:
        one = (number, status, urgency, category_id)
        items.append((lon, lat, 1, int(is_open), int(is_overdue), int(urgency != "general"), one))

    grouped: dict[tuple[int, int], list] = {}
    for lon, lat, n, open_, overdue, urgent, one in items:
        if not (west <= lon <= east and south <= lat <= north):
            continue
        x, y = mercator(lon, lat)
        key = (math.floor(x / size), math.floor(y / size))
        g = grouped.setdefault(key, [0, 0.0, 0.0, 0, 0, 0, None])
        g[0] += n
        g[1] += lon * n
        g[2] += lat * n
        g[3] += open_
        g[4] += overdue
        g[5] += urgent
        g[6] = one if g[0] == 1 else None
    singles = {g[6][3] for g in grouped.values() if g[0] == 1 and g[6] is not None and g[6][3] is not None}
    paths = {c.id: c.path for c in Category.objects.filter(id__in=singles).select_related("parent")}
    bins = []
    for n, slon, slat, open_, overdue, urgent, one in grouped.values():
        if n == 1 and one is None:  # a township with one ticket in the range: show the ticket itself
            one = _the_one_ticket(slon, slat, since, area_code, category_ids)
            if one and one[3] is not None and one[3] not in paths:
                paths.update({c.id: c.path for c in Category.objects.filter(id=one[3]).select_related("parent")})
        bins.append(_bin(n, slon, slat, open_, overdue, urgent, one if n == 1 else None, paths))
    bins.sort(key=lambda b: (-b.count, b.lon, b.lat))
    return bins, size


def _bin(n: int, slon: float, slat: float, open_: int, overdue: int, urgent: int, one, paths: dict) -> Bin:
    """A bin from its sums; `one` is its lone ticket (number, status, urgency, category id) or None."""
    return Bin(
        lon=slon / n,
        lat=slat / n,
        count=n,
        open=open_,
        overdue=overdue,
        urgent=urgent,
        number=one[0] if one else None,
        status=one[1] if one else None,
        urgency=one[2] if one else None,
        category=paths.get(one[3]) if one else None,
    )


def _the_one_ticket(lon, lat, since, area_code, category_ids) -> tuple | None:
    qs = Ticket.objects.filter(received_at__gte=since, point__isnull=False)
    if area_code:
        from django.db.models import Q

        qs = qs.filter(Q(county_code=area_code) | Q(township_code=area_code))
    if category_ids is not None:
        qs = qs.filter(category_id__in=category_ids)
    from django.contrib.gis.geos import Point

    t = (
        qs.filter(point__dwithin=(Point(lon, lat, srid=4326), 1e-6))
        .values_list("number", "status", "urgency", "category_id")
        .first()
    )
    return t


# -- the maps: townships and streets, from the pre-binned grid -----------------------------------

GRID_CELL_M = cell_size_m(GRID_ZOOM)


def grid_serves(size: float) -> bool:
    """True when a view's bins are whole blocks of the grid's cells (zoom ≤ 14)."""
    ratio = size / GRID_CELL_M
    return ratio >= 1 - 1e-9 and abs(ratio - 2 ** round(math.log2(ratio))) < 1e-6


def grid_sql(
    day_from: dt.date, day_to: dt.date, *, cx: list[int], cy: tuple[int, int], area_code: str = ""
) -> tuple[str, list]:
    """The grid cells of the days [day_from, day_to) in the columns cx and rows cy[0]..cy[1]: whole
    months from the monthly cells, the rest from the daily ones, plus the deltas not folded yet."""
    cols = "cx, cy, state, tickets, urgent, sum_lon, sum_lat"
    where = " AND cx = ANY(%s) AND cy BETWEEN %s AND %s"
    wparams: list = [cx, cy[0], cy[1]]
    if area_code:
        where += " AND (county_code = %s OR township_code = %s)"
        wparams += [area_code, area_code]
    parts: list[str] = []
    params: list = []
    m_from = day_from if day_from.day == 1 else _next_month(day_from)
    m_to = _month_start(day_to)
    if m_from < m_to:
        parts.append(f"SELECT {cols} FROM rollups_gridmonth WHERE day >= %s AND day < %s{where}")
        params += [m_from, m_to, *wparams]
        daily = [(day_from, m_from), (m_to, day_to)]
    else:
        daily = [(day_from, day_to)]
    for lo, hi in daily:
        if lo < hi:
            parts.append(f"SELECT {cols} FROM rollups_gridday WHERE day >= %s AND day < %s{where}")
            params += [lo, hi, *wparams]
    parts.append(f"SELECT {cols} FROM rollups_griddelta WHERE day >= %s AND day < %s{where}")
    params += [day_from, day_to, *wparams]
    return "(" + " UNION ALL ".join(parts) + ")", params


_GRID_BINS_SQL = """
SELECT cx, cy, sum(tickets), sum(tickets) FILTER (WHERE state = 'open'), sum(urgent), sum(sum_lon), sum(sum_lat)
FROM {cells} c GROUP BY cx, cy HAVING sum(tickets) <> 0
"""

# Tickets the cells do not hold: those of the first, partial day of the range, one by one. The view is
# compared on ST_X/ST_Y, not with &&: the day (or the open tickets' deadlines) is the narrow index range,
# a township's points over five years are not.
_GRID_FIRST_DAY_SQL = """
SELECT ST_X(t.point), ST_Y(t.point), t.status = ANY(%s), t.urgency <> 'general'
FROM dispatch_ticket t
WHERE ST_X(t.point) BETWEEN %s AND %s AND ST_Y(t.point) BETWEEN %s AND %s
  AND t.received_at >= %s AND t.received_at < %s {where}
"""

_GRID_OVERDUE_SQL = """
SELECT ST_X(t.point), ST_Y(t.point)
FROM dispatch_ticket t
WHERE t.status = ANY(%s) AND t.resolve_by < %s AND ST_X(t.point) BETWEEN %s AND %s
  AND ST_Y(t.point) BETWEEN %s AND %s AND t.received_at >= %s {where}
"""


def grid_bins(
    *,
    bbox: tuple[float, float, float, float],
    zoom: int,
    since: dt.datetime,
    now: dt.datetime,
    area_code: str = "",
) -> tuple[list[Bin], float]:
    """dispatch.analytics.point_bins for a view at zoom ≤ 14 from the pre-binned grid: a bin is a
    block of whole grid cells, so its count, open, urgent and mean position add up exactly from
    them; overdue comes from the open tickets (indexed), the first, partial day of the range from
    the tickets. The view is taken as the grid cells it touches: a bin on its edge counts its
    touched cells whole (tickets up to one cell, ~611 m, beyond the edge), where the tickets' path
    cuts at the edge."""
    from dispatch.analytics import UNANSWERED_STATUSES

    size = bin_size_for(bbox, zoom)
    step = round(size / GRID_CELL_M)
    west, south, east, north = bbox
    x0, y0 = mercator(west, south)
    x1, y1 = mercator(east, north)
    cx0, cx1 = math.floor(x0 / GRID_CELL_M), math.floor(x1 / GRID_CELL_M)
    cy0, cy1 = math.floor(y0 / GRID_CELL_M), math.floor(y1 / GRID_CELL_M)
    # The edges of the cells touched, in degrees: the tickets read one by one must fall in the same cells.
    env = (
        cx0 * GRID_CELL_M / MERCATOR_M_PER_DEG,
        _lat_of(cy0 * GRID_CELL_M),
        (cx1 + 1) * GRID_CELL_M / MERCATOR_M_PER_DEG,
        _lat_of((cy1 + 1) * GRID_CELL_M),
    )
    first_full = local_day(since)
    if day_start(first_full) < since:
        first_full += dt.timedelta(days=1)
    day_to = max(local_day(now) + dt.timedelta(days=1), first_full)
    cells, params = grid_sql(first_full, day_to, cx=list(range(cx0, cx1 + 1)), cy=(cy0, cy1), area_code=area_code)
    where, wparams = _ticket_filters(area_code, None)
    grouped: dict[tuple[int, int], list] = {}

    def add(cx: int, cy: int, n: int, open_: int, overdue: int, urgent: int, slon: float, slat: float) -> None:
        if not (cx0 <= cx <= cx1 and cy0 <= cy <= cy1):
            return
        g = grouped.setdefault((cx // step, cy // step), [0, 0.0, 0.0, 0, 0, 0])
        g[0] += n
        g[1] += slon
        g[2] += slat
        g[3] += open_
        g[4] += overdue
        g[5] += urgent

    def cell_of(lon: float, lat: float) -> tuple[int, int]:
        x, y = mercator(lon, lat)
        return math.floor(x / GRID_CELL_M), math.floor(y / GRID_CELL_M)

    conn = read_connection()
    # A few thousand cells: no parallel workers (starting them costs more than the query on a busy host).
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute(_GRID_BINS_SQL.format(cells=cells), params)
        for cx, cy, n, open_, urgent, slon, slat in cur.fetchall():
            add(cx, cy, int(n), int(open_ or 0), 0, int(urgent), slon, slat)
        if since < day_start(first_full):
            cur.execute(
                _GRID_FIRST_DAY_SQL.format(where=where),
                [list(UNANSWERED_STATUSES), env[0], env[2], env[1], env[3], since, day_start(first_full), *wparams],
            )
            for lon, lat, is_open, is_urgent in cur.fetchall():
                add(*cell_of(lon, lat), 1, int(is_open), 0, int(is_urgent), lon, lat)
        cur.execute(
            _GRID_OVERDUE_SQL.format(where=where),
            [list(OPEN_STATUSES), now, env[0], env[2], env[1], env[3], since, *wparams],
        )
        for lon, lat in cur.fetchall():
            add(*cell_of(lon, lat), 0, 0, 1, 0, 0.0, 0.0)

    singles = [(g[1], g[2]) for g in grouped.values() if g[0] == 1]
    ones = _tickets_at(singles, since, area_code) if singles else {}
    paths = {
        c.id: c.path
        for c in Category.objects.filter(id__in={o[3] for o in ones.values() if o[3]}).select_related("parent")
    }
    bins = []
    for n, slon, slat, open_, overdue, urgent in grouped.values():
        if n <= 0:
            continue
        one = ones.get((round(slon, 7), round(slat, 7))) if n == 1 else None
        bins.append(_bin(n, slon, slat, open_, overdue, urgent, one, paths))
    bins.sort(key=lambda b: (-b.count, b.lon, b.lat))
    return bins, size


def _lat_of(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y / MERCATOR_R)) - math.pi / 2)


def _tickets_at(points: list[tuple[float, float]], since: dt.datetime, area_code: str) -> dict:
    """The lone ticket of each single-ticket bin, found by its point (one query)."""
    where, wparams = _ticket_filters(area_code, None)
    sql = f"""
SELECT DISTINCT ON (p.lon, p.lat) p.lon, p.lat, t.number, t.status, t.urgency, t.category_id
FROM unnest(%s::float8[], %s::float8[]) AS p (lon, lat)
JOIN dispatch_ticket t ON t.point && ST_Expand(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), 1e-7)
WHERE t.received_at >= %s {where}
ORDER BY p.lon, p.lat, t.id
"""
    with read_connection().cursor() as cur:
        cur.execute(sql, [[p[0] for p in points], [p[1] for p in points], since, *wparams])
        return {(round(r[0], 7), round(r[1], 7)): r[2:] for r in cur.fetchall()}


# -- briefings: volume, channels, categories ----------------------------------------------------


def period_counts(
    bounds: list[tuple[dt.datetime, dt.datetime]], *, area_code: str = ""
) -> list[tuple[int, str, int | None, int | None, int]]:
    """(period index, channel, top-level category id, leaf category id, tickets) of accepted
    tickets per period, periods given as [local midnight, local midnight) bounds — the rows of
    briefings.figures' grouped count, from the cells [AN-2]."""
    day_from, day_to = local_day(bounds[0][0]), local_day(bounds[-1][1])
    cells, params = cells_sql(day_from, day_to, area_code=area_code, states=[State.OPEN, State.DONE])
    cases = " ".join(f"WHEN c.day >= %s THEN {i}" for i in range(len(bounds) - 1, 0, -1))
    sql = f"""
SELECT CASE {cases} ELSE 0 END, c.channel, coalesce(cat.parent_id, cat.id), cat.id, sum(c.tickets)
FROM {cells} c LEFT JOIN dispatch_category cat ON cat.id = c.category_id
GROUP BY 1, 2, 3, 4
HAVING sum(c.tickets) <> 0
"""
    starts = [local_day(b[0]) for b in bounds[1:]][::-1]
    with read_connection().cursor() as cur:
        cur.execute(sql, [*starts, *params])
        return [(i, ch, top, leaf, int(n)) for i, ch, top, leaf, n in cur.fetchall()]


def month_totals(day_from: dt.date, day_to: dt.date, *, area_code: str = "") -> dict[dt.date, int]:
    """Accepted tickets per calendar month (keyed by its first day) of the days [day_from, day_to),
    from the township totals' cells: an annual briefing's 12-month trend without reading tickets [AN-1]."""
    cells, params = cells_sql(
        day_from, day_to, area_code=area_code, states=[State.OPEN, State.DONE], township_totals=True
    )
    sql = f"SELECT date_trunc('month', c.day)::date, sum(c.tickets) FROM {cells} c GROUP BY 1"
    with read_connection().cursor() as cur:
        cur.execute(sql, params)
        return {day: int(n) for day, n in cur.fetchall()}


def fresh_counts() -> dict[tuple, tuple[int, int, int]]:
    """Every cell counted again from the tickets (tickets, urgent, located) by key: for tests and
    for checking a database's rollups by hand."""
    from django.conf import settings

    sql = f"""
SELECT (received_at AT TIME ZONE '{settings.TIME_ZONE}')::date, county_code, township_code,
       coalesce(category_id, 0), channel,
       CASE WHEN status = 'refused' THEN 'refused' WHEN status = ANY(%s) THEN 'open' ELSE 'done' END,
       count(*), count(*) FILTER (WHERE urgency <> 'general'), count(point)
FROM dispatch_ticket GROUP BY 1, 2, 3, 4, 5, 6
"""
    from dispatch.analytics import UNANSWERED_STATUSES

    with connection.cursor() as cur:
        cur.execute(sql, [list(UNANSWERED_STATUSES)])
        return {tuple(r[:6]): (r[6], r[7], r[8]) for r in cur.fetchall()}


def rolled_up_counts(
    table: str = "rollups_dailycount", *, with_deltas: bool = True
) -> dict[tuple, tuple[int, int, int]]:
    """The cells as the rollups hold them (plus the unfolded deltas), by key, without empty ones."""
    assert table in ("rollups_dailycount", "rollups_monthlycount")
    cols = "county_code, township_code, category_id, channel, state, tickets, urgent, located"
    day = "date_trunc('month', day)::date" if table == "rollups_monthlycount" else "day"
    sources = f"SELECT day, {cols} FROM {table}"
    if with_deltas:
        sources += f" UNION ALL SELECT {day}, {cols} FROM rollups_delta"
    sql = f"""
SELECT day, county_code, township_code, category_id, channel, state, sum(tickets), sum(urgent), sum(located)
FROM ({sources}) c GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(tickets) <> 0 OR sum(urgent) <> 0 OR sum(located) <> 0
"""
    with connection.cursor() as cur:
        cur.execute(sql)
        return {tuple(r[:6]): (int(r[6]), int(r[7]), int(r[8])) for r in cur.fetchall()}
