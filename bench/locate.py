"""Point lookup: the bulk locate path against a naive per-point ORM query and an
in-memory shapely 2 STRtree over the same polygons, plus the single-point API
through the full HTTP stack (daphne). Run: `.venv/bin/python bench/locate.py`."""

from __future__ import annotations

import argparse
import http.client
import json
import time
from urllib.parse import urlsplit

import numpy as np
from _common import daphne_server, percentile, record, setup_django, summary_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--http-requests", type=int, default=1_000)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django()
    import shapely
    from django.contrib.gis.geos import Point
    from django.db import connection

    from grid.index import locate_index
    from grid.models import Area
    from grid.selectors import deepest_area_ids, deepest_area_ids_sql, locate_points

    city = Area.objects.current().get(level="city")
    minx, miny, maxx, maxy = city.geom.extent
    rng = np.random.default_rng(12345)
    lons = rng.uniform(minx, maxx, args.points)
    lats = rng.uniform(miny, maxy, args.points)
    points = list(zip(lons.tolist(), lats.tolist()))
    n = len(points)
    rows = []

    # 1. Bulk path: the in-process index kept in step with the boundary version.
    connection.ensure_connection()
    t = time.perf_counter()
    locate_index()
    index_build_s = time.perf_counter() - t
    t = time.perf_counter()
    ids = deepest_area_ids(lons, lats)
    bulk_ids_s = time.perf_counter() - t
    inside = sum(i is not None for i in ids)
    rows.append(
        (
            f"bulk path: in-process index, deepest area id (cold build {index_build_s:.2f} s not counted)",
            n / bulk_ids_s,
            bulk_ids_s,
        )
    )

    # 1b. The same answer from PostGIS in one statement over the ST_Subdivide pieces.
    t = time.perf_counter()
    sql_ids = deepest_area_ids_sql(lons.tolist(), lats.tolist())
    sql_s = time.perf_counter() - t
    agree = sum(a == b for a, b in zip(ids, sql_ids)) / n
    rows.append(("PostGIS one statement, deepest area id (ST_Subdivide pieces)", n / sql_s, sql_s))

    # 2. Bulk path as the API does it: batches of 10,000, full chain + offices.
    t = time.perf_counter()
    full = []
    for i in range(0, n, 10_000):
        full.extend(locate_points(points[i : i + 10_000]))
    bulk_full_s = time.perf_counter() - t
    rows.append(("bulk path, full chain + offices (the POST API path, 10k batches)", n / bulk_full_s, bulk_full_s))

    # 3. Baseline: shapely 2 STRtree over the same community polygons in memory.
    t = time.perf_counter()
    areas = list(Area.objects.current().filter(level="community").values_list("id", "geom"))
    geoms = shapely.from_wkb([bytes(g.wkb) for _, g in areas])
    tree = shapely.STRtree(geoms)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    pts = shapely.points(lons, lats)  # both sides start from coordinate arrays
    pairs = tree.query(pts, predicate="intersects")
    strtree_s = time.perf_counter() - t
    strtree_hits = len(np.unique(pairs[0]))
    rows.append((f"shapely STRtree, community polygons (build {build_s:.2f} s not counted)", n / strtree_s, strtree_s))
    # prepared pieces in STRtree too, to compare like with like
    pieces = shapely.from_wkb(
        [
            bytes(g.wkb)
            for g in __import__("grid.models", fromlist=["AreaPiece"])
            .AreaPiece.objects.filter(depth=3)
            .values_list("geom", flat=True)
        ]
    )
    ptree = shapely.STRtree(pieces)
    t = time.perf_counter()
    ptree.query(shapely.points(lons, lats), predicate="intersects")
    strtree_pieces_s = time.perf_counter() - t
    rows.append(("shapely STRtree, the same subdivided pieces", n / strtree_pieces_s, strtree_pieces_s))

    # 4. Baseline: naive per-point ORM query (on a sample, extrapolated).
    sample = points[: args.naive_sample]
    t = time.perf_counter()
    for lon, lat in sample:
        Area.objects.current().filter(level="community", geom__intersects=Point(lon, lat, srid=4326)).values_list(
            "id", flat=True
        ).first()
    naive_s = time.perf_counter() - t
    rows.append((f"naive ORM query per point (sample of {len(sample):,})", len(sample) / naive_s, naive_s))

    # 5. Single point through daphne + Django + DRF + PostGIS.
    with daphne_server() as base:
        u = urlsplit(base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        inside_pts = [p for p, i in zip(points, ids) if i is not None][: args.http_requests]
        latencies = []
        for lon, lat in inside_pts:
            t = time.perf_counter()
            conn.request("GET", f"/api/grid/locate?lon={lon:.6f}&lat={lat:.6f}")
            resp = conn.getresponse()
            body = resp.read()
            latencies.append(time.perf_counter() - t)
            assert resp.status == 200, body
        json.loads(body)
        conn.close()

    strtree_best = n / min(strtree_s, strtree_pieces_s)
    bulk_rate = n / bulk_ids_s
    lines = [
        f"{n:,} random points in the city's bounding box ({inside:,} inside the city; STRtree found {strtree_hits:,}; "
        f"index and PostGIS agree on {agree:.4%}).",
        "",
        "| method | points/s | seconds |",
        "|---|---:|---:|",
        *[f"| {name} | {rate:,.0f} | {secs:.3f} |" for name, rate, secs in rows],
        "",
        f"Bulk path vs best STRtree: {strtree_best / bulk_rate:.2f}× slower (target ≤ 3×); "
        f"vs naive ORM: {bulk_rate / rows[-1][1]:,.0f}× faster.",
        f"Single-point `GET /api/grid/locate` through daphne, {len(latencies):,} sequential requests: {summary_ms(latencies)} "
        f"(target p50 ≤ 15 ms).",
    ]
    for name, rate, secs in rows:
        print(f"{name:<70} {rate:>12,.0f} pts/s {secs:>8.3f} s")
    print(f"HTTP p50 {percentile(latencies, 50) * 1000:.2f} ms")
    if not args.no_record:
        record("Point lookup (bench/locate.py)", lines)


if __name__ == "__main__":
    main()
