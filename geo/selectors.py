"""Reads of the gazetteer: reverse geocoding (what is at a point)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from grid.selectors import locate_point

REVERSE_RADIUS_M = 300.0

# The nearest few by the index (degrees), then the true distance in metres
# (geography) decides, within the radius.
_NEAREST_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g),
places AS (
    SELECT 'place' AS kind, p.name AS label, p.code, NULL::text AS road, NULL::int AS number,
           p.point AS geom, ST_Distance(p.point::geography, pt.g::geography) AS d
    FROM geo_place p, pt ORDER BY p.point <-> pt.g LIMIT 5
),
crossings AS (
    SELECT 'intersection', a.name || '与' || b.name || '交叉口', a.code || '/' || b.code, a.name, NULL::int,
           i.point, ST_Distance(i.point::geography, pt.g::geography)
    FROM geo_intersection i JOIN geo_road a ON a.id = i.road_a_id JOIN geo_road b ON b.id = i.road_b_id, pt
    ORDER BY i.point <-> pt.g LIMIT 5
),
ranges AS (
    SELECT r.*, ST_LineLocatePoint(r.geom, pt.g) AS f FROM (
        SELECT ar.*, rd.name AS road_name, rd.code AS road_code FROM geo_addressrange ar
        JOIN geo_road rd ON rd.id = ar.road_id, pt ORDER BY ar.geom <-> pt.g LIMIT 5
    ) r, pt
),
numbered AS (
    SELECT road_name, road_code,
           first + 2 * round(f * (last - first) / 2.0)::int AS number, geom, first, last
    FROM ranges
),
addresses AS (
    SELECT 'address', n.road_name || n.number || '号', n.road_code, n.road_name, n.number,
           ST_LineInterpolatePoint(n.geom, CASE WHEN n.last = n.first THEN 0 ELSE (n.number - n.first)::float8 / (n.last - n.first) END),
           ST_Distance(ST_LineInterpolatePoint(n.geom, CASE WHEN n.last = n.first THEN 0 ELSE (n.number - n.first)::float8 / (n.last - n.first) END)::geography, pt.g::geography)
    FROM numbered n, pt
)
SELECT kind, label, code, road, number, ST_X(geom), ST_Y(geom), d FROM (
    SELECT * FROM places UNION ALL SELECT * FROM crossings UNION ALL SELECT * FROM addresses
) found
WHERE d <= %(radius)s
ORDER BY d, kind
"""

_ROAD_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT code, name, d FROM (
    SELECT r.code, r.name, ST_Distance(r.geom::geography, pt.g::geography) AS d
    FROM geo_road r, pt ORDER BY r.geom <-> pt.g LIMIT 5
) near WHERE d <= %(radius)s ORDER BY d LIMIT 1
"""


def _feature(row: tuple) -> dict[str, Any]:
    kind, label, code, road, number, lon, lat, d = row
    out = {
        "kind": kind,
        "label": label,
        "code": code,
        "point": (round(lon, 6), round(lat, 6)),
        "distance_m": round(d, 1),
    }
    if road is not None:
        out["road"] = road
    if number is not None:
        out["number"] = number
    return out


def reverse_geocode(lon: float, lat: float, *, radius_m: float = REVERSE_RADIUS_M) -> dict[str, Any] | None:
    """What is at a point: the nearest address, crossing or place within the
    radius (and the nearest of each kind), the nearest road, and the area chain;
    None outside the city."""
    area = locate_point(lon, lat)
    if area is None:
        return None
    params = {"lon": lon, "lat": lat, "radius": radius_m}
    with connection.cursor() as cur:
        cur.execute(_NEAREST_SQL, params)
        rows = cur.fetchall()
        cur.execute(_ROAD_SQL, params)
        road = cur.fetchone()
    nearest_of: dict[str, dict] = {}
    for row in rows:
        nearest_of.setdefault(row[0], _feature(row))
    return {
        "lon": lon,
        "lat": lat,
        "nearest": _feature(rows[0]) if rows else None,
        "address": nearest_of.get("address"),
        "intersection": nearest_of.get("intersection"),
        "place": nearest_of.get("place"),
        "road": {"code": road[0], "name": road[1], "distance_m": round(road[2], 1)} if road else None,
        "area": area,
    }
