"""Figures computed from tickets for maps and briefings [AN-1][AN-3].

Every function takes an already scoped queryset (start from
selectors.tickets_visible_to(user)), so what a figure counts is exactly what
that user may see. The heavy lifting runs in PostgreSQL/PostGIS: counts with
FILTER clauses, point bins on a Web Mercator grid, and hotspot clusters with
ST_ClusterDBSCAN in the metric projection (EPSG:4547).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from dispatch.models import OPEN_STATUSES, Satisfaction, Status, Ticket

from .sla import NEAR_DEADLINE_FRACTION

# Not answered yet: being handled, or still waiting in the manual dispatch queue.
UNANSWERED_STATUSES = (*OPEN_STATUSES, Status.PENDING_DISPATCH)

MERCATOR_R = 6378137.0
MERCATOR_M_PER_DEG = math.pi * MERCATOR_R / 180.0
TILE_M_PER_PX_Z0 = 2 * math.pi * MERCATOR_R / 256.0  # 156543.03 m per pixel at zoom 0


def local_day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _overdue_q(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES, resolve_by__lt=now)


@dataclass
class Counters:
    """The wall's live counters."""

    intake_today: int
    open: int
    near_deadline: int
    overdue: int
    closed_today: int
    callbacks_this_month: int
    satisfied_this_month: int

    @property
    def satisfaction_rate(self) -> float | None:
        """(satisfied + basically satisfied) / callbacks made this month; None before the first callback."""
        if not self.callbacks_this_month:
            return None
        return self.satisfied_this_month / self.callbacks_this_month


def live_counters(qs: QuerySet[Ticket], *, now: dt.datetime | None = None) -> Counters:
    """Today's intake, open, near-deadline, overdue, closed today and this month's callbacks, in one query."""
    now = now or timezone.now()
    today = local_day_start(now)
    month = today.replace(day=1)
    near_from = ExpressionWrapper(
        F("clock_started_at") + (F("resolve_by") - F("clock_started_at")) * NEAR_DEADLINE_FRACTION,
        output_field=DateTimeField(),
    )
    # Every counter counts tickets of one of these four sets, each one range of an index (received_at,
    # status, closed_at, callback_at): the aggregate reads their union, not every ticket (10M: 8 s → ms).
    counted = (
        Q(received_at__gte=today)
        | Q(status__in=UNANSWERED_STATUSES)
        | Q(closed_at__gte=today)
        | Q(callback_at__gte=month)
    )
    figures = (
        qs.filter(counted)
        .annotate(near_from=near_from)
        .aggregate(
            intake_today=Count("id", filter=Q(received_at__gte=today) & ~Q(status=Status.REFUSED)),
            open=Count("id", filter=Q(status__in=UNANSWERED_STATUSES)),
            near_deadline=Count("id", filter=Q(status__in=OPEN_STATUSES, resolve_by__gte=now, near_from__lte=now)),
            overdue=Count("id", filter=_overdue_q(now)),
            closed_today=Count("id", filter=Q(closed_at__gte=today)),
            callbacks_this_month=Count("id", filter=Q(callback_at__gte=month) & ~Q(satisfaction="")),
            satisfied_this_month=Count(
                "id",
                filter=Q(callback_at__gte=month, satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC]),
            ),
        )
    )
    return Counters(**figures)


@dataclass
class CategoryTrend:
    code: str
    name: str
    parent_name: str
    today: int
    last_7_days: int

    @property
    def daily_mean_7_days(self) -> float:
        return self.last_7_days / 7


def category_trends(qs: QuerySet[Ticket], *, now: dt.datetime | None = None, limit: int = 10) -> list[CategoryTrend]:
    """Leaf categories with the most tickets today, next to their count over the 7 days before today."""
    now = now or timezone.now()
    today = local_day_start(now)
    week_start = today - dt.timedelta(days=7)
    rows = (
        qs.filter(received_at__gte=week_start, category__isnull=False)
        .exclude(status=Status.REFUSED)
        .values("category__code", "category__name", "category__parent__name")
        .annotate(
            today=Count("id", filter=Q(received_at__gte=today)),
            last_7_days=Count("id", filter=Q(received_at__lt=today)),
        )
        .order_by("-today", "-last_7_days", "category__code")[:limit]
    )
    return [
        CategoryTrend(
            code=r["category__code"],
            name=r["category__name"],
            parent_name=r["category__parent__name"] or "",
            today=r["today"],
            last_7_days=r["last_7_days"],
        )
        for r in rows
    ]


AREA_CODE_FIELDS = {"county": "county_code", "township": "township_code", "community": "community_code"}


def area_counts(qs: QuerySet[Ticket], *, level: str, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Open and overdue tickets per area of one level: {code: {"open": n, "overdue": n}} (areas with none left out)."""
    now = now or timezone.now()
    column = AREA_CODE_FIELDS[level]
    rows = (
        qs.exclude(**{column: ""})
        .filter(status__in=UNANSWERED_STATUSES)
        .values(column)
        .annotate(open=Count("id"), overdue=Count("id", filter=_overdue_q(now)))
    )
    return {r[column]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


# -- point bins ----------------------------------------------------------------------


MAX_BINS = 4096


def cell_size_m(zoom: int, *, cell_px: int = 64) -> float:
    """Edge of a bin in Web Mercator metres: cell_px screen pixels at this zoom."""
    return TILE_M_PER_PX_Z0 / (2**zoom) * cell_px


def mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.05), -85.05)
    return lon * MERCATOR_M_PER_DEG, math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * MERCATOR_R


def bin_size_for(bbox: tuple[float, float, float, float], zoom: int, *, max_bins: int = MAX_BINS) -> float:
    """The bin edge for a view: 64 px at the zoom, doubled until the view holds at most max_bins bins."""
    west, south, east, north = bbox
    x0, y0 = mercator(west, south)
    x1, y1 = mercator(east, north)
    size = cell_size_m(zoom)
    while math.ceil((x1 - x0) / size) * math.ceil((y1 - y0) / size) > max_bins:
        size *= 2
    return size


@dataclass
class Bin:
    """The tickets of one grid cell: a count at their mean position, or one ticket when alone."""

    lon: float
    lat: float
    count: int
    open: int
    overdue: int
    urgent: int
    number: str | None = None  # set when the bin holds a single ticket
    status: str | None = None
    urgency: str | None = None
    category: str | None = None


# Positional parameters, in order: unanswered statuses, open statuses, now, the inner
# query's own, the cell size twice, the limit. x and y are taken once per row.
_BIN_SQL = """
SELECT count(*), avg(t.x), avg(t.y),
       count(*) FILTER (WHERE t.status = ANY(%s)),
       count(*) FILTER (WHERE t.status = ANY(%s) AND t.resolve_by < %s),
       count(*) FILTER (WHERE t.urgency <> 'general'),
       min(t.number), min(t.status), min(t.urgency), min(t.category_id)
FROM (SELECT ST_X(p.point) AS x, ST_Y(p.point) AS y, p.status, p.resolve_by, p.urgency, p.number, p.category_id
      FROM ({inner}) p) t
GROUP BY floor(t.x * {m_per_deg} / %s),
         floor(ln(tan(pi() / 4 + radians(LEAST(GREATEST(t.y, -85.05), 85.05)) / 2)) * {r} / %s)
LIMIT %s
"""


def point_bins(
    qs: QuerySet[Ticket],
    *,
    bbox: tuple[float, float, float, float],
    zoom: int,
    now: dt.datetime | None = None,
    max_bins: int = MAX_BINS,
) -> tuple[list[Bin], float]:
    """Tickets in a view aggregated on a Web Mercator grid whose cells are ~64 px at the zoom
    (coarser if the view would hold more than max_bins cells); (bins, cell edge in metres).

    The number of bins is bounded by the view, never by the number of tickets.
    """
    from django.contrib.gis.geos import Polygon

    now = now or timezone.now()
    size = bin_size_for(bbox, zoom, max_bins=max_bins)
    # && on the bounding box: for points the same as inside the view, and only an index comparison.
    inner_qs = (
        qs.filter(point__isnull=False, point__bboverlaps=Polygon.from_bbox(bbox))
        .order_by()
        .values("point", "status", "resolve_by", "urgency", "number", "category_id")
    )
    inner, inner_params = inner_qs.query.sql_with_params()
    sql = _BIN_SQL.format(inner=inner, m_per_deg=repr(MERCATOR_M_PER_DEG), r=repr(MERCATOR_R))
    params = [list(UNANSWERED_STATUSES), list(OPEN_STATUSES), now, *inner_params, size, size, max_bins + 1]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    categories: dict[int, str] = {}
    single_ids = {r[9] for r in rows if r[0] == 1 and r[9] is not None}
    if single_ids:
        from dispatch.models import Category

        categories = {c.id: c.path for c in Category.objects.filter(id__in=single_ids).select_related("parent")}
    bins = []
    for count, lon, lat, open_, overdue, urgent, number, status, urgency, category_id in rows[:max_bins]:
        one = count == 1
        bins.append(
            Bin(
                lon=float(lon),
                lat=float(lat),
                count=count,
                open=open_,
                overdue=overdue,
                urgent=urgent,
                number=number if one else None,
                status=status if one else None,
                urgency=urgency if one else None,
                category=categories.get(category_id) if one else None,
            )
        )
    return bins, size


# -- hotspots ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusterRule:
    """DBSCAN parameters of one category: at least min_tickets within radius_m of each other in window_days."""

    radius_m: float = 150.0
    min_tickets: int = 5
    window_days: int = 7


@dataclass
class TicketCluster:
    """A run of same-category tickets close together in time and space."""

    category_id: int
    category_code: str
    category_name: str
    count: int
    ticket_ids: list[int]
    numbers: list[str]
    first_at: dt.datetime
    last_at: dt.datetime
    hull_wkt: str  # EPSG:4326, buffered a little so that two or three aligned points still make an area
    centroid: tuple[float, float]
    county_code: str
    township_code: str
    community_code: str
    window_days: int
    radius_m: float
    min_tickets: int = 0
    extra: dict = field(default_factory=dict)


_CLUSTER_SQL = """
WITH rules AS (
    SELECT * FROM unnest(%s::bigint[], %s::float8[], %s::int[], %s::int[]) AS r(category_id, eps, minpts, days)
),
pts AS (
    SELECT t.id, t.number, t.category_id, t.received_at, t.county_code, t.township_code, t.community_code,
           ST_Transform(t.point, {srid}) AS g, r.eps, r.minpts, r.days
    FROM ({inner}) t JOIN rules r ON r.category_id = t.category_id
    WHERE t.received_at >= %s - make_interval(days => r.days) AND t.received_at < %s
),
clustered AS (
    SELECT pts.*, ST_ClusterDBSCAN(g, eps, minpts)
           OVER (PARTITION BY category_id) AS cid
    FROM pts
)
SELECT c.category_id, cat.code, cat.name, count(*),
       array_agg(c.id ORDER BY c.received_at, c.id), array_agg(c.number ORDER BY c.received_at, c.id),
       min(c.received_at), max(c.received_at),
       ST_AsText(ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(c.g)), 25, 4), 4326)),
       ST_X(ST_Transform(ST_Centroid(ST_Collect(c.g)), 4326)), ST_Y(ST_Transform(ST_Centroid(ST_Collect(c.g)), 4326)),
       mode() WITHIN GROUP (ORDER BY c.county_code), mode() WITHIN GROUP (ORDER BY c.township_code),
       mode() WITHIN GROUP (ORDER BY c.community_code),
       min(c.days), min(c.eps), min(c.minpts)
FROM clustered c JOIN dispatch_category cat ON cat.id = c.category_id
WHERE c.cid IS NOT NULL
GROUP BY c.category_id, cat.code, cat.name, c.cid
ORDER BY count(*) DESC, min(c.received_at)
"""


def ticket_clusters(
    qs: QuerySet[Ticket],
    *,
    rules: dict[int, ClusterRule],
    now: dt.datetime | None = None,
) -> list[TicketCluster]:
    """Hotspots: per category (partition), DBSCAN clusters of its tickets received in its window
    before now, measured in metres in EPSG:4547 [AN-1][AN-3]; biggest first.

    rules maps category ids to their parameters; categories without a rule are not clustered.
    """
    now = now or timezone.now()
    if not rules:
        return []
    ids = list(rules)
    # The widest window bounds the scan (each category's own window is applied after the join): one
    # range of the (category_id, received_at) index instead of every ticket the categories ever had.
    widest = dt.timedelta(days=max(int(r.window_days) for r in rules.values()))
    inner_qs = (
        qs.filter(point__isnull=False, category_id__in=ids, received_at__gte=now - widest, received_at__lt=now)
        .exclude(status=Status.REFUSED)
        .order_by()
        .values("id", "number", "category_id", "received_at", "county_code", "township_code", "community_code", "point")
    )
    inner, inner_params = inner_qs.query.sql_with_params()
    sql = _CLUSTER_SQL.format(inner=inner, srid=int(settings.METRIC_SRID))
    params = [
        ids,
        [float(rules[i].radius_m) for i in ids],
        [int(rules[i].min_tickets) for i in ids],
        [int(rules[i].window_days) for i in ids],
        *inner_params,
        now,
        now,
    ]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [
        TicketCluster(
            category_id=r[0],
            category_code=r[1],
            category_name=r[2],
            count=r[3],
            ticket_ids=list(r[4]),
            numbers=list(r[5]),
            first_at=r[6],
            last_at=r[7],
            hull_wkt=r[8],
            centroid=(r[9], r[10]),
            county_code=r[11] or "",
            township_code=r[12] or "",
            community_code=r[13] or "",
            window_days=r[14],
            radius_m=r[15],
            min_tickets=r[16],
        )
        for r in rows
    ]
