"""Reads of the grid: point lookup (single and bulk) and area listings.

A point is located against the ST_Subdivide pieces of the current areas: first
the community level (which covers the city); a point that falls in a gap between
communities falls back to the deepest level that holds it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connection

from .models import LEVEL_ORDER, Level, Office

COMMUNITY_DEPTH = LEVEL_ORDER.index("community")
OFFICE_ORDER = ["workstation", "township_center", "county_dispatch", "sub_center", "city_center"]

_CHAIN_COLUMNS = """
    a0.level, a0.code, a0.name, a0.is_zone,
    a1.level, a1.code, a1.name, a1.is_zone,
    a2.level, a2.code, a2.name, a2.is_zone,
    a3.level, a3.code, a3.name, a3.is_zone
"""
_CHAIN_JOINS = """
    LEFT JOIN grid_area a1 ON a1.id = a0.parent_id
    LEFT JOIN grid_area a2 ON a2.id = a1.parent_id
    LEFT JOIN grid_area a3 ON a3.id = a2.parent_id
"""

# One indexed query: the deepest piece holding the point, its area's chain of
# parents, and the offices answering for each level of that chain.
_LOCATE_ONE_SQL = f"""
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g),
hit AS (
    SELECT ap.area_id FROM grid_areapiece ap, pt
    WHERE ST_Intersects(ap.geom, pt.g)
    ORDER BY ap.depth DESC LIMIT 1
)
SELECT {_CHAIN_COLUMNS},
    (SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'name', o.name, 'code', o.code)
                     ORDER BY array_position(%(order)s::text[], o.kind::text)), '[]'::json)
     FROM grid_office o
     WHERE o.is_active AND o.kind <> 'department'
       AND o.area_code IN (a0.code, a1.code, a2.code, a3.code))
FROM hit JOIN grid_area a0 ON a0.id = hit.area_id {_CHAIN_JOINS}
"""


def _chain_from_row(row: tuple) -> dict[str, Any]:
    chain: dict[str, Any] = {level: None for level in LEVEL_ORDER}
    for i in range(4):
        level, code, name, is_zone = row[i * 4 : i * 4 + 4]
        if level is None:
            continue
        entry = {"code": code, "name": name}
        if level == Level.COUNTY:
            entry["is_zone"] = bool(is_zone)
        chain[level] = entry
    return chain


def locate_point(lon: float, lat: float) -> dict[str, Any] | None:
    """The area chain and offices for a point, or None outside the city."""
    with connection.cursor() as cur:
        cur.execute(_LOCATE_ONE_SQL, {"lon": lon, "lat": lat, "order": OFFICE_ORDER})
        row = cur.fetchone()
    if row is None:
        return None
    offices = row[16]
    if isinstance(offices, str):  # psycopg returns json already parsed; keep safe for other drivers
        import json

        offices = json.loads(offices)
    return {"lon": lon, "lat": lat, **_chain_from_row(row), "offices": offices}


def deepest_area_ids(lons: list[float], lats: list[float]) -> list[int | None]:
    """For each point, the id of the deepest current area holding it (None outside),
    from the in-process index of grid.index (kept in step with the boundaries)."""
    from .index import locate_index

    return [None if i < 0 else int(i) for i in locate_index().deepest_area_ids(lons, lats)]


def deepest_area_ids_sql(lons: list[float], lats: list[float]) -> list[int | None]:
    """The same as deepest_area_ids, answered by PostGIS in one statement (the reference)."""
    found: list[int | None] = [None] * len(lons)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT p.idx, ap.area_id
            FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, idx)
            JOIN grid_areapiece ap
              ON ap.depth = %s AND ST_Intersects(ap.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
            """,
            [lons, lats, COMMUNITY_DEPTH],
        )
        for idx, area_id in cur.fetchall():
            found[idx - 1] = area_id
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            cur.execute(
                """
                SELECT DISTINCT ON (p.idx) p.idx, ap.area_id
                FROM unnest(%s::float8[], %s::float8[], %s::int[]) AS p(lon, lat, idx)
                JOIN grid_areapiece ap ON ST_Intersects(ap.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
                ORDER BY p.idx, ap.depth DESC
                """,
                [[lons[i] for i in missing], [lats[i] for i in missing], missing],
            )
            for idx, area_id in cur.fetchall():
                found[idx] = area_id
    return found


def _chains(area_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Area chain and offices for each of a set of area ids (two queries in all)."""
    if not area_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT a0.id, {_CHAIN_COLUMNS} FROM grid_area a0 {_CHAIN_JOINS} WHERE a0.id = ANY(%s)",
            [list(area_ids)],
        )
        rows = cur.fetchall()
    chains = {row[0]: _chain_from_row(row[1:]) for row in rows}
    codes = {entry["code"] for chain in chains.values() for entry in chain.values() if entry}
    offices_by_area: dict[str, list[dict]] = defaultdict(list)
    for o in (
        Office.objects.filter(area_code__in=codes, is_active=True)
        .exclude(kind=Office.Kind.DEPARTMENT)
        .values("kind", "name", "code", "area_code")
    ):
        offices_by_area[o.pop("area_code")].append(o)
    for chain in chains.values():
        offices = [o for entry in chain.values() if entry for o in offices_by_area.get(entry["code"], [])]
        chain["offices"] = sorted(offices, key=lambda o: OFFICE_ORDER.index(o["kind"]))
    return chains


def locate_points(points: list[tuple[float, float]]) -> list[dict[str, Any] | None]:
    """Bulk locate: the same objects as locate_point, in order, None outside the city."""
    if not points:
        return []
    lons = [float(p[0]) for p in points]
    lats = [float(p[1]) for p in points]
    ids = deepest_area_ids(lons, lats)
    chains = _chains({i for i in ids if i is not None})
    return [
        None if area_id is None else {"lon": lon, "lat": lat, **chains[area_id]}
        for lon, lat, area_id in zip(lons, lats, ids)
    ]
