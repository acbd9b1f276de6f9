"""The in-process geocoding index: every name of the gazetteer in a Lexicon, and
the roads, crossings, house-number ranges and places as plain Python data.

Geocoding a text then costs no database round trip for the names; the index
is keyed by (GridState.version, GazetteerState.version), which every boundary
import and every gazetteer load bump, so a process rebuilds it on the next call
after a change and never answers from retired data (the pattern of grid.index).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from django.db import connection
from pyproj import Transformer

from grid.index import VersionedCache
from grid.selectors import deepest_area_ids

from .parser import Entry, Lexicon


class SharedTransformer:
    """A pyproj Transformer whose PROJ object is made once and shared by every thread, one at a time.

    pyproj keeps a Transformer's PROJ object per thread, and Django's ASGI handler runs each request's
    synchronous code on a thread of its own: every request that geocoded a street rebuilt it (tens of
    milliseconds, hundreds on a loaded machine; bench/console.py). Here the object made at import is
    handed to the calling thread under a lock, so PROJ is never used by two threads at once."""

    def __init__(self, source: int, target: int):
        self._transformer = Transformer.from_crs(source, target, always_xy=True)
        self._proj = self._transformer._transformer  # pyproj's per-thread object, made in this thread
        self._lock = threading.Lock()

    def transform(self, x, y):
        with self._lock:
            self._transformer._local.transformer = self._proj
            return self._transformer.transform(x, y)


TO_METRIC = SharedTransformer(4326, settings.METRIC_SRID)
TO_GEOGRAPHIC = SharedTransformer(settings.METRIC_SRID, 4326)

# Short area names (without 街道/镇/乡/社区/村) that are also everyday words: they
# count as a place only when the text also names the county that holds them.
COMMON_WORD_SHORT_NAMES = frozenset(
    "保安 铁路 温泉 东城 武功 钟楼 汇源 张良 黄道 石桥 河滨 垭口 长桥 红山 铁山 龙泉 九龙 龙山 滨湖 香山 "
    "大营 仙台 八台 汝南 城关 前进 劳动 和平 建设 幸福 团结 胜利 光明 朝阳 新华 东风 繁荣 安居 书香 "
    "平安 康乐 同乐 裕民 明珠 竹园 泰和 翠苑 金桥 绿园 祥和 泰安 新城 和谐 东湖 乐园 长安 惠民 南苑 "
    "开源 春华 永丰 滨河 河畔 兴业 永安 前进 矿建 高庄 小屯 杨楼 纸坊 米庙 庙下 水寨 团城".split()
)


def to_metric(lon: float, lat: float) -> tuple[float, float]:
    x, y = TO_METRIC.transform(lon, lat)
    return float(x), float(y)


def to_geographic(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_GEOGRAPHIC.transform(x, y)
    return round(float(lon), 6), round(float(lat), 6)


@dataclass
class AreaInfo:
    id: int
    code: str
    level: str
    name: str
    short_name: str
    parent_code: str | None
    label: tuple[float, float]


@dataclass
class RoadInfo:
    code: str
    name: str
    county_codes: tuple[str, ...]
    township_codes: tuple[str, ...]
    line: shapely.MultiLineString  # EPSG:4326
    metric: shapely.MultiLineString  # EPSG:4547


@dataclass
class PlaceInfo:
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    community_code: str
    township_code: str
    county_code: str


@dataclass
class RangeInfo:
    road_code: str
    first: int
    last: int
    parity: str
    metric: shapely.LineString


@dataclass
class Crossing:
    lon: float
    lat: float
    codes: dict[str, str | None]


@dataclass
class GazetteerIndex:
    version: tuple[int, int]
    lexicon: Lexicon
    areas: dict[str, AreaInfo]
    area_by_id: dict[int, AreaInfo]
    roads: dict[str, RoadInfo]
    places: dict[str, PlaceInfo]
    ranges: dict[str, list[RangeInfo]]
    crossings: dict[tuple[str, str], list[Crossing]]

    def chain_codes(self, area_id: int | None) -> dict[str, str | None]:
        """county / township / community codes of the deepest area id (grid.index)."""
        codes: dict[str, str | None] = {"county": None, "township": None, "community": None}
        area = self.area_by_id.get(area_id) if area_id is not None else None
        while area is not None:
            if area.level in codes:
                codes[area.level] = area.code
            area = self.areas.get(area.parent_code) if area.parent_code else None
        return codes

    def codes_at(self, points: list[tuple[float, float]]) -> list[dict[str, str | None]]:
        if not points:
            return []
        ids = deepest_area_ids([p[0] for p in points], [p[1] for p in points])
        return [self.chain_codes(i) for i in ids]

    def crossings_of(self, road_a: str, road_b: str) -> list[Crossing]:
        return self.crossings.get((road_a, road_b)) or self.crossings.get((road_b, road_a)) or []

    def contains(self, ancestor: str, code: str | None) -> bool:
        """Whether area `code` is `ancestor` or lies inside it."""
        while code:
            if code == ancestor:
                return True
            area = self.areas.get(code)
            code = area.parent_code if area else None
        return False


def versions() -> tuple[int, int]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT version FROM grid_gridstate WHERE id = 1), (SELECT version FROM geo_gazetteerstate WHERE id = 1)"
        )
        grid, gazetteer = cur.fetchone()
    return grid or 0, gazetteer or 0


def _short_form(name: str, short_name: str, alias: str) -> bool:
    from .parser import normalize

    return normalize(alias) == normalize(short_name) and normalize(short_name) != normalize(name)


def _build(version: tuple[int, int]) -> GazetteerIndex:
    names: dict[str, list[Entry]] = defaultdict(list)
    areas: dict[str, AreaInfo] = {}
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT a.id, a.code, a.level, a.name, a.short_name, a.aliases, p.code,
                   ST_X(coalesce(a.label_point, ST_PointOnSurface(a.geom))),
                   ST_Y(coalesce(a.label_point, ST_PointOnSurface(a.geom)))
            FROM grid_area a LEFT JOIN grid_area p ON p.id = a.parent_id
            WHERE a.valid_to IS NULL
            """
        )
        area_rows = cur.fetchall()
        cur.execute(
            "SELECT code, name, aliases, county_codes, township_codes, ST_AsBinary(geom) FROM geo_road ORDER BY code"
        )
        road_rows = cur.fetchall()
        cur.execute(
            "SELECT code, name, aliases, kind, ST_X(point), ST_Y(point), community_code, township_code, county_code "
            "FROM geo_place ORDER BY code"
        )
        place_rows = cur.fetchall()
        cur.execute(
            "SELECT r.code, a.first, a.last, a.parity, ST_AsBinary(ST_Transform(a.geom, %s)) "
            "FROM geo_addressrange a JOIN geo_road r ON r.id = a.road_id ORDER BY a.code",
            [settings.METRIC_SRID],
        )
        range_rows = cur.fetchall()
        cur.execute(
            "SELECT a.code, b.code, ST_X(i.point), ST_Y(i.point) FROM geo_intersection i "
            "JOIN geo_road a ON a.id = i.road_a_id JOIN geo_road b ON b.id = i.road_b_id ORDER BY i.id"
        )
        crossing_rows = cur.fetchall()

    for area_id, code, level, name, short, aliases, parent, lon, lat in area_rows:
        areas[code] = AreaInfo(area_id, code, level, name, short or "", parent, (round(lon, 6), round(lat, 6)))
        names[name].append(Entry(level, code, "full"))
        if short and short != name:
            names[short].append(Entry(level, code, "short"))
        for alias in aliases or []:
            form = "short" if _short_form(name, short or "", alias) else "alias"
            names[alias].append(Entry(level, code, form))

    roads: dict[str, RoadInfo] = {}
    for code, name, aliases, counties, townships, wkb in road_rows:
        line = shapely.from_wkb(bytes(wkb))
        metric = shapely.transform(line, lambda xy: np.column_stack(TO_METRIC.transform(xy[:, 0], xy[:, 1])))
        roads[code] = RoadInfo(code, name, tuple(counties), tuple(townships), line, metric)
        names[name].append(Entry("road", code, "full"))
        for alias in aliases or []:
            names[alias].append(Entry("road", code, "alias"))

    places: dict[str, PlaceInfo] = {}
    for code, name, aliases, kind, lon, lat, community, township, county in place_rows:
        places[code] = PlaceInfo(code, name, kind, lon, lat, community, township, county)
        names[name].append(Entry("place", code, "full"))
        for alias in aliases or []:
            names[alias].append(Entry("place", code, "alias"))

    ranges: dict[str, list[RangeInfo]] = defaultdict(list)
    for road_code, first, last, parity, wkb in range_rows:
        ranges[road_code].append(RangeInfo(road_code, first, last, parity, shapely.from_wkb(bytes(wkb))))

    index = GazetteerIndex(
        version=version,
        lexicon=Lexicon(),
        areas=areas,
        area_by_id={a.id: a for a in areas.values()},
        roads=roads,
        places=places,
        ranges=dict(ranges),
        crossings={},
    )
    for name, entries in names.items():
        index.lexicon.add(name, entries)
    codes = index.codes_at([(lon, lat) for _a, _b, lon, lat in crossing_rows])
    crossings: dict[tuple[str, str], list[Crossing]] = defaultdict(list)
    for (a, b, lon, lat), chain in zip(crossing_rows, codes):
        crossings[(a, b)].append(Crossing(round(lon, 6), round(lat, 6), chain))
    index.crossings = dict(crossings)
    return index


_gazetteer_index = VersionedCache(version=versions, build=_build)


def gazetteer_index() -> GazetteerIndex:
    """The index for the gazetteer and grid as they are now (one small query to check)."""
    return _gazetteer_index.get()
