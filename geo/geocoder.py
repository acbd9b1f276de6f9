"""Geocoder: from a parsed text to a point, a precision and a confidence.

The admin parts named in a text (county, township, community) constrain the
street parts (crossings, house numbers, places, roads): every street-level
candidate is located in the grid, and one outside the areas named loses most of
its score. A name that stays ambiguous (a 中兴路 in two counties, a 王庄村 in
many townships) yields no point but its candidates, unless ``near`` breaks the
tie. Corners, road sides and offsets then move the chosen point in metres
(EPSG:4547).

Public interface (the dispatch team codes against it): ``GeocodeResult``,
``geocode(text, near=...)`` and ``geocode_many(texts)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from grid.selectors import locate_points

from .index import COMMON_WORD_SHORT_NAMES, GazetteerIndex, gazetteer_index, to_geographic, to_metric
from .parser import DIRECTIONS, Mention, ParsedAddress, parse

PRECISIONS = ("address", "intersection", "place", "road", "community", "township", "county", "city")
MAX_CANDIDATES = 5

# Base confidence of each kind of evidence, before consistency with the admin parts.
BASE = {
    "address": 0.95,
    "address_interpolated": 0.9,
    "intersection": 0.93,
    "intersection_unmarked": 0.72,
    "place": 0.9,
    "place_alias": 0.86,
    "place_fuzzy": 0.62,
    "road_in_area": 0.7,
    "road": 0.6,
    "road_fuzzy": 0.5,
    "community": 0.78,
    "township": 0.6,
    "township_short": 0.5,
    "county": 0.4,
    "city": 0.15,
}
# A candidate outside an area the text names keeps this share of its score.
OUTSIDE_COUNTY = 0.35
OUTSIDE_TOWNSHIP = 0.6
OUTSIDE_COMMUNITY = 0.85
# Candidates this close to the best score, in other townships, make the text ambiguous.
AMBIGUITY_RATIO = 0.9
CORNER_M = 20.0  # a corner of a crossing, from its centre
ROAD_SIDE_M = 20.0
PLACE_SIDE_M = 40.0
PROXIMITY_FACTOR = {"near": 0.9, "beside": 0.93, "opposite": 0.88, "at": 0.98}
FUZZY_MIN_SIMILARITY = 0.4


@dataclass
class GeocodeResult:
    query: str
    normalized: str
    point: tuple[float, float] | None  # (lon, lat)
    precision: str | None  # address|intersection|place|road|community|township|county|city
    confidence: float  # 0..1
    components: dict
    area: dict | None  # the grid.selectors.locate_point chain of the point
    candidates: list[dict]  # up to 5, each {"point": (lon,lat), "precision", "confidence", "label"}


@dataclass
class Candidate:
    lon: float
    lat: float
    precision: str
    base: float
    label: str
    feature: str  # identity: two candidates of one feature are one answer
    components: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    score: float = 0.0
    crossing: bool = False

    def as_dict(self) -> dict:
        return {
            "point": (self.lon, self.lat),
            "precision": self.precision,
            "confidence": round(min(max(self.score, 0.0), 1.0), 3),
            "label": self.label,
        }


@dataclass
class AdminContext:
    counties: set[str] = field(default_factory=set)
    townships: set[str] = field(default_factory=set)
    communities: set[str] = field(default_factory=set)
    city: bool = False
    weak_township: bool = False
    names: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------
# Admin parts
# ---------------------------------------------------------------------------


def _admin_context(parsed: ParsedAddress, index: GazetteerIndex) -> AdminContext:
    ctx = AdminContext()
    township_full: list[set[str]] = []
    township_short: list[tuple[Mention, set[str]]] = []
    community_full: list[set[str]] = []
    community_short: list[set[str]] = []
    for m in parsed.mentions:
        street = bool(m.of_kind("road", "place"))
        for e in m.entries:
            if e.kind == "city":
                ctx.city = True
            elif e.kind == "county":
                if e.form == "short" and (street or m.text in COMMON_WORD_SHORT_NAMES):
                    continue
                ctx.counties.add(e.ref)
        if street:
            continue
        # an alias that spells out its county too (宝丰县城关镇) names that county as well
        for e in m.of_kind("township"):
            county = index.areas.get(index.areas[e.ref].parent_code or "")
            if county is not None and county.level == "county" and m.text.startswith(county.name):
                ctx.counties.add(county.code)
        t_full = {e.ref for e in m.of_kind("township") if e.form != "short"}
        t_short = {e.ref for e in m.of_kind("township") if e.form == "short"}
        c_full = {e.ref for e in m.of_kind("community") if e.form != "short"}
        c_short = {e.ref for e in m.of_kind("community") if e.form == "short"}
        if t_full:
            township_full.append(t_full)
        elif t_short:
            township_short.append((m, t_short))
        if c_full:
            community_full.append(c_full)
        elif c_short and not t_full and not t_short:
            community_short.append(c_short)

    def in_counties(code: str) -> bool:
        return not ctx.counties or any(index.contains(c, code) for c in ctx.counties)

    for refs in township_full:
        kept = {t for t in refs if in_counties(t)} or refs
        ctx.townships |= kept
    for m, refs in township_short:
        kept = {t for t in refs if in_counties(t)}
        if ctx.counties and kept:
            ctx.townships |= kept
        elif not ctx.counties and not ctx.townships and m.text not in COMMON_WORD_SHORT_NAMES:
            ctx.townships |= refs
            ctx.weak_township = True
    for refs in community_full:
        kept = {c for c in refs if not ctx.townships or index.areas[c].parent_code in ctx.townships}
        kept = {c for c in kept if in_counties(c)}
        ctx.communities |= kept or refs
    for refs in community_short:
        if ctx.townships:
            ctx.communities |= {c for c in refs if index.areas[c].parent_code in ctx.townships}
    # a community named alone tells its township and county
    if ctx.communities and not ctx.townships:
        parents = {index.areas[c].parent_code for c in ctx.communities}
        if len(parents) == 1:
            ctx.townships |= parents
    for level, codes in (("county", ctx.counties), ("township", ctx.townships), ("community", ctx.communities)):
        if len(codes) == 1:
            ctx.names[level] = index.areas[next(iter(codes))].name
    if ctx.city or ctx.counties or ctx.townships or ctx.communities:
        ctx.names.setdefault("city", "平顶山市")
    return ctx


def _admin_candidates(ctx: AdminContext, index: GazetteerIndex) -> list[Candidate]:
    out = []
    for level, codes in (("community", ctx.communities), ("township", ctx.townships), ("county", ctx.counties)):
        if not codes:
            continue
        base = BASE["township_short"] if level == "township" and ctx.weak_township else BASE[level]
        for code in sorted(codes):
            a = index.areas[code]
            out.append(Candidate(a.label[0], a.label[1], level, base, a.name, f"area:{code}", {level: a.name}))
        return out
    if ctx.city:
        city = next((a for a in index.areas.values() if a.level == "city"), None)
        if city:
            out.append(Candidate(city.label[0], city.label[1], "city", BASE["city"], city.name, f"area:{city.code}"))
    return out


# ---------------------------------------------------------------------------
# Street parts
# ---------------------------------------------------------------------------


def _roads_of(m: Mention, ctx: AdminContext, index: GazetteerIndex) -> list[str]:
    """Road codes a road mention may mean, those in the counties named first."""
    codes = [e.ref for e in m.of_kind("road")]
    if ctx.counties:
        inside = [c for c in codes if set(index.roads[c].county_codes) & ctx.counties]
        if inside:
            return inside
    return codes


def _anchor(ctx: AdminContext, index: GazetteerIndex, near: tuple[float, float] | None):
    """A point to pick the right stretch of a road: the area named, else near."""
    for codes in (ctx.communities, ctx.townships):
        if len(codes) == 1:
            a = index.areas[next(iter(codes))]
            return a.label
    return near


def _point_on_road(road, anchor) -> tuple[float, float]:
    import shapely
    import shapely.ops  # a submodule: `import shapely` alone does not load it

    if anchor is None:
        part = max(road.metric.geoms, key=lambda g: g.length)
        p = part.interpolate(0.5, normalized=True)
    else:
        x, y = to_metric(*anchor)
        p = shapely.ops.nearest_points(road.metric, shapely.Point(x, y))[0]
    return to_geographic(p.x, p.y)


def _house_point(index: GazetteerIndex, road_code: str, number: int) -> tuple[float, float] | None:
    parity = "odd" if number % 2 else "even"
    for r in index.ranges.get(road_code, []):
        if r.parity == parity and r.first <= number <= r.last:
            share = 0.0 if r.last == r.first else (number - r.first) / (r.last - r.first)
            p = r.metric.interpolate(share, normalized=True)
            return to_geographic(p.x, p.y)
    return None


def _street_candidates(
    parsed: ParsedAddress, ctx: AdminContext, index: GazetteerIndex, near
) -> tuple[list[Candidate], bool]:
    """Candidates from crossings, house numbers, places and roads; and whether a
    road or place was named (so that a fuzzy lookup is not needed)."""
    out: list[Candidate] = []
    used_roads: set[int] = set()
    for a, b, marked in parsed.crossings:
        found = []
        # a road name read with a typo (常青路) makes a less certain crossing
        typo = 0.85 if any(e.form == "fuzzy" for m in (a, b) for e in m.entries) else 1.0
        for ra in _roads_of(a, ctx, index):
            for rb in _roads_of(b, ctx, index):
                for i, x in enumerate(index.crossings_of(ra, rb)):
                    name_a, name_b = index.roads[ra].name, index.roads[rb].name
                    found.append(
                        Candidate(
                            x.lon,
                            x.lat,
                            "intersection",
                            BASE["intersection" if marked else "intersection_unmarked"] * typo,
                            f"{name_a}与{name_b}交叉口",
                            f"x:{min(ra, rb)}:{max(ra, rb)}:{i}",
                            {"road": name_a, "intersection": [name_a, name_b]},
                            codes=x.codes,
                            crossing=True,
                        )
                    )
        if found:
            out.extend(found)
            used_roads |= {a.start, b.start}
    house = parsed.house_number
    if house is not None:
        for rc in _roads_of(house.road, ctx, index):
            pt = _house_point(index, rc, house.number)
            if pt is None:
                continue
            road = index.roads[rc]
            out.append(
                Candidate(
                    pt[0],
                    pt[1],
                    "address",
                    BASE["address"],
                    f"{road.name}{house.number}号",
                    f"addr:{rc}:{house.number}",
                    {"road": road.name, "house_number": f"{house.number}号"},
                )
            )
            used_roads.add(house.road.start)
    named_street = False
    for m in parsed.mentions:
        places = m.of_kind("place")
        for e in places:
            p = index.places[e.ref]
            base = BASE["place"] if e.form == "full" else BASE["place_alias"]
            out.append(
                Candidate(
                    p.lon,
                    p.lat,
                    "place",
                    base,
                    p.name,
                    f"place:{p.code}",
                    {"place": p.name},
                    codes={"county": p.county_code, "township": p.township_code, "community": p.community_code},
                )
            )
            named_street = True
        if places or not m.of_kind("road"):
            continue
        named_street = True
        if m.start in used_roads:
            continue
        anchor = _anchor(ctx, index, near)
        for rc in _roads_of(m, ctx, index):
            road = index.roads[rc]
            crosses = bool(
                (ctx.townships and set(road.township_codes) & ctx.townships) or (ctx.communities and anchor is not None)
            )
            lon, lat = _point_on_road(road, anchor)
            fuzzy = any(e.form == "fuzzy" for e in m.entries)
            out.append(
                Candidate(
                    lon,
                    lat,
                    "road",
                    BASE["road_fuzzy" if fuzzy else "road_in_area" if crosses else "road"],
                    road.name,
                    f"road:{rc}",
                    {"road": road.name},
                )
            )
    return out, named_street


def _fuzzy_places(phrases: list[tuple[int, str]]) -> dict[int, list[tuple[str, float]]]:
    """pg_trgm lookup of place-like phrases the lexicon did not know, all texts at once."""
    found: dict[int, list[tuple[str, float]]] = {}
    if not phrases:
        return found
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT q.i, p.code, p.sim
            FROM unnest(%s::text[], %s::int[]) AS q(phrase, i)
            CROSS JOIN LATERAL (
                SELECT code, similarity(name, q.phrase) AS sim FROM geo_place
                WHERE name %% q.phrase ORDER BY sim DESC, code LIMIT 2
            ) p
            WHERE p.sim >= %s
            """,
            [[p for _, p in phrases], [i for i, _ in phrases], FUZZY_MIN_SIMILARITY],
        )
        for i, code, sim in cur.fetchall():
            found.setdefault(i, []).append((code, float(sim)))
    return found


# ---------------------------------------------------------------------------
# Scoring and choice
# ---------------------------------------------------------------------------


def _score(c: Candidate, ctx: AdminContext, index: GazetteerIndex) -> float:
    score = c.base
    county, township, community = c.codes.get("county"), c.codes.get("township"), c.codes.get("community")
    if c.precision in ("community", "township", "county", "city"):
        return score
    named = False
    if ctx.counties:
        named = True
        if county not in ctx.counties:
            score *= OUTSIDE_COUNTY
    if ctx.townships:
        named = True
        if township not in ctx.townships:
            score *= OUTSIDE_TOWNSHIP
    if ctx.communities:
        named = True
        if community not in ctx.communities:
            score *= OUTSIDE_COMMUNITY
    if named and score == c.base:
        score = min(0.99, score + 0.04)
    return score


def _move(lon: float, lat: float, dx: float, dy: float) -> tuple[float, float]:
    x, y = to_metric(lon, lat)
    return to_geographic(x + dx, y + dy)


def _choose(cands: list[Candidate], near) -> tuple[Candidate | None, list[Candidate]]:
    """The best candidate, or None when others as good lie in other townships."""
    if not cands:
        return None, []
    # one answer per feature: its best-scored candidate
    best_of: dict[str, Candidate] = {}
    for c in cands:
        if c.feature not in best_of or c.score > best_of[c.feature].score:
            best_of[c.feature] = c
    ranked = sorted(best_of.values(), key=lambda c: (-c.score, PRECISIONS.index(c.precision), c.feature))
    top = ranked[0]
    rivals = [
        c
        for c in ranked[1:]
        if c.score >= top.score * AMBIGUITY_RATIO
        and c.codes.get("township") != top.codes.get("township")
        and c.precision == top.precision
    ]
    if rivals:
        group = [top, *rivals]
        if near is None:
            return None, ranked
        nx, ny = to_metric(*near)

        def dist(c: Candidate) -> float:
            x, y = to_metric(c.lon, c.lat)
            return math.hypot(x - nx, y - ny)

        top = min(group, key=dist)
        top.score *= 0.95
        ranked = [top, *[c for c in ranked if c is not top]]
    return top, ranked


@dataclass
class _Work:
    parsed: ParsedAddress
    near: tuple[float, float] | None
    ctx: AdminContext | None = None
    cands: list[Candidate] = field(default_factory=list)
    named_street: bool = False


def _components(w: _Work, chosen: Candidate | None) -> dict[str, Any]:
    p = w.parsed
    comp: dict[str, Any] = dict(w.ctx.names) if w.ctx else {}
    if chosen is not None:
        comp.update(chosen.components)
    if "road" not in comp:
        roads = p.of_kind("road")
        if roads:
            comp["road"] = roads[0].text
    if p.house_number and "house_number" not in comp:
        comp["house_number"] = f"{p.house_number.number}号"
    if p.building is not None:
        comp["building"] = f"{p.building}号楼"
    if p.unit is not None:
        comp["unit"] = f"{p.unit}单元"
    if p.corner:
        comp["corner"] = f"{p.corner}角"
    if p.side:
        comp["side"] = f"{p.side}侧"
    if p.proximity_word:
        comp["proximity"] = p.proximity_word
    if p.offset:
        comp["offset"] = {"direction": p.offset.direction, "meters": p.offset.meters}
    return comp


def _finish(w: _Work, chosen: Candidate | None) -> tuple[tuple[float, float] | None, float]:
    """Apply corner, side, offset and proximity to the chosen candidate."""
    if chosen is None:
        return None, 0.0
    p = w.parsed
    lon, lat = chosen.lon, chosen.lat
    conf = chosen.score
    dx = dy = 0.0
    if p.corner and chosen.crossing:
        ux, uy = DIRECTIONS[p.corner]
        dx, dy = ux * CORNER_M, uy * CORNER_M
    elif p.side and chosen.precision in ("road", "place", "address", "intersection"):
        ux, uy = DIRECTIONS[p.side]
        step = PLACE_SIDE_M if chosen.precision == "place" else ROAD_SIDE_M
        dx, dy = ux * step, uy * step
    if p.offset and chosen.precision in ("address", "intersection", "place", "road"):
        ox, oy = p.offset.vector
        dx, dy = dx + ox, dy + oy
        conf *= 0.92
    if dx or dy:
        lon, lat = _move(lon, lat, dx, dy)
    if p.proximity:
        conf *= PROXIMITY_FACTOR[p.proximity]
    return (lon, lat), round(min(max(conf, 0.0), 1.0), 3)


# Offices answering for each level of the chain, to trim with the levels.
_OFFICE_LEVEL = {
    "workstation": "community",
    "township_center": "township",
    "county_dispatch": "county",
    "sub_center": "county",
    "city_center": "city",
}
_KEPT_LEVELS = {
    "city": ("city",),
    "county": ("city", "county"),
    "township": ("city", "county", "township"),
}


def _trim_area(area: dict | None, precision: str | None) -> dict | None:
    """The chain down to the level the text supports: a county named alone must
    not send the ticket to whichever township holds the county's label point."""
    kept = _KEPT_LEVELS.get(precision or "")
    if area is None or kept is None:
        return area
    trimmed = {**area, **{level: None for level in ("county", "township", "community") if level not in kept}}
    trimmed["offices"] = [o for o in area.get("offices", []) if _OFFICE_LEVEL.get(o["kind"]) in kept]
    return trimmed


def _run(texts: list[str], nears: list[tuple[float, float] | None]) -> list[GeocodeResult]:
    index = gazetteer_index()
    works = [_Work(parse(t, index.lexicon), n) for t, n in zip(texts, nears)]
    fuzzy_wanted: list[tuple[int, str]] = []
    for i, w in enumerate(works):
        w.ctx = _admin_context(w.parsed, index)
        street, w.named_street = _street_candidates(w.parsed, w.ctx, index, w.near)
        if not street and not w.named_street:
            fuzzy_wanted.extend((i, phrase) for phrase in w.parsed.unknown_places if len(phrase) >= 4)
        w.cands = street + _admin_candidates(w.ctx, index)
    for i, hits in _fuzzy_places(fuzzy_wanted).items():
        for code, sim in hits:
            p = index.places[code]
            works[i].cands.append(
                Candidate(
                    p.lon,
                    p.lat,
                    "place",
                    BASE["place_fuzzy"] * min(1.0, sim / 0.8),
                    p.name,
                    f"place:{p.code}",
                    {"place": p.name},
                    codes={"county": p.county_code, "township": p.township_code, "community": p.community_code},
                )
            )
    # locate every candidate that does not know its areas yet, all texts at once
    todo = [c for w in works for c in w.cands if not c.codes]
    for c, codes in zip(todo, index.codes_at([(c.lon, c.lat) for c in todo])):
        c.codes = codes
    for w in works:
        for c in w.cands:
            if c.precision in ("community", "township", "county", "city") and c.feature.startswith("area:"):
                c.codes = c.codes or {}
            c.score = _score(c, w.ctx, index)

    chosen_points: list[tuple[float, float] | None] = []
    partial: list[tuple[_Work, Candidate | None, list[Candidate], tuple | None, float]] = []
    for w in works:
        chosen, ranked = _choose(w.cands, w.near)
        point, conf = _finish(w, chosen)
        partial.append((w, chosen, ranked, point, conf))
        chosen_points.append(point)
    located = locate_points([p for p in chosen_points if p is not None])
    located_iter = iter(located)
    results = []
    for w, chosen, ranked, point, conf in partial:
        area = next(located_iter) if point is not None else None
        results.append(
            GeocodeResult(
                query=w.parsed.query,
                normalized=w.parsed.normalized,
                point=point,
                precision=chosen.precision if chosen else None,
                confidence=conf,
                components=_components(w, chosen),
                area=_trim_area(area, chosen.precision if chosen else None),
                candidates=[c.as_dict() for c in ranked[:MAX_CANDIDATES]],
            )
        )
    return results


def geocode(text: str, *, near: tuple[float, float] | None = None) -> GeocodeResult:
    """The best point for a text, with its precision, confidence and area chain.
    No place found: point None and no candidates; ambiguous: point None and the
    candidates (``near`` picks the closest of equally good ones)."""
    return _run([text], [near])[0]


def geocode_many(texts: list[str]) -> list[GeocodeResult]:
    """geocode() for many texts with one index check, one fuzzy query and one
    bulk locate for them all: the fast path for batches and imports."""
    if not texts:
        return []
    return _run(list(texts), [None] * len(texts))
