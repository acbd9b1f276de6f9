"""Geocoding: accuracy on the evaluation set (per precision and per form) and
speed, next to a baseline run in the same process: the plain trigram lookup
(pg_trgm word similarity of every gazetteer name against the text, best name
wins). Speed is measured in process (geocode_many), through the POST batch
API and as single GET requests through daphne.
Run: `.venv/bin/python bench/geocode.py`."""

from __future__ import annotations

import argparse
import http.client
import json
import time
from urllib.parse import quote, urlsplit

from _common import ROOT, daphne_server, percentile, record, setup_django, summary_ms

EVAL = ROOT / "tests" / "data" / "geocode_eval.csv"

# The baseline: every name of the gazetteer (areas through the geo_areaname view,
# roads and places with their aliases) scored against the whole text.
_TRIGRAM_SQL = """
WITH names AS (
    SELECT n.name, coalesce(a.label_point, ST_PointOnSurface(a.geom)) AS g
    FROM geo_areaname n JOIN grid_area a ON a.id = n.area_id
    UNION ALL
    SELECT x.name, ST_LineInterpolatePoint(ST_GeometryN(r.geom, 1), 0.5)
    FROM geo_road r CROSS JOIN LATERAL unnest(r.name || r.aliases) AS x(name)
    UNION ALL
    SELECT x.name, p.point FROM geo_place p CROSS JOIN LATERAL unnest(p.name || p.aliases) AS x(name)
)
SELECT ST_X(g), ST_Y(g) FROM names
WHERE name <%% %(text)s
ORDER BY word_similarity(name, %(text)s) DESC, length(name) DESC
LIMIT 1
"""


def _rate(report_bucket: list[int]) -> str:
    total, hits = report_bucket
    return f"{hits / total:.1%} ({hits}/{total})" if total else "–"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=10, help="POST batches of 1,000 texts")
    parser.add_argument("--http-requests", type=int, default=1_000)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()

    setup_django()
    from django.db import connection

    from geo.evaluation import load_eval, score
    from geo.geocoder import GeocodeResult, geocode_many
    from geo.index import gazetteer_index
    from grid.selectors import locate_points

    rows = load_eval(EVAL)
    texts = [r.text for r in rows]

    # 1. The geocoder, bulk path in process.
    connection.ensure_connection()
    t = time.perf_counter()
    gazetteer_index()
    cold_s = time.perf_counter() - t
    geocode_many(texts[:10])  # warm the grid index and OpenCC
    t = time.perf_counter()
    results = geocode_many(texts)
    ours_s = time.perf_counter() - t
    ours = score(rows, results)

    # 2. Baseline: plain trigram lookup, one query per text.
    t = time.perf_counter()
    points = []
    with connection.cursor() as cur:
        for text in texts:
            cur.execute(_TRIGRAM_SQL, {"text": text})
            row = cur.fetchone()
            points.append((row[0], row[1]) if row else None)
    areas = iter(locate_points([p for p in points if p is not None]))
    base_results = [
        GeocodeResult(text, text, p, "place" if p else None, 1.0 if p else 0.0, {}, next(areas) if p else None, [])
        for text, p in zip(texts, points)
    ]
    base_s = time.perf_counter() - t
    base = score(rows, base_results)

    # 3. Through daphne: POST batches of 1,000, then single GET requests.
    batch = (texts * (1_000 // len(texts) + 1))[:1_000]
    with daphne_server() as url:
        u = urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        body = json.dumps({"queries": batch}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        conn.request("POST", "/api/geo/geocode", body, headers)
        conn.getresponse().read()  # warm the server's index
        t = time.perf_counter()
        for _ in range(args.batches):
            conn.request("POST", "/api/geo/geocode", body, headers)
            resp = conn.getresponse()
            payload = resp.read()
            assert resp.status == 200, payload[:200]
        post_s = time.perf_counter() - t
        assert len(json.loads(payload)["results"]) == len(batch)
        latencies = []
        statuses: dict[int, int] = {}
        for i in range(args.http_requests):
            text = texts[i % len(texts)]
            t = time.perf_counter()
            conn.request("GET", "/api/geo/geocode?q=" + quote(text))
            resp = conn.getresponse()
            resp.read()
            latencies.append(time.perf_counter() - t)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
        conn.close()
    post_rate = args.batches * len(batch) / post_s

    precisions = ["intersection", "address", "place", "community", "township", "road", "county"]
    forms = ["plain", "complaint", "noisy", "traditional", "partial", "none"]
    lines = [
        f"{len(rows)} labelled texts of `tests/data/geocode_eval.csv`; {ours.placed} name a township, community, "
        f"crossing, house number or place, {ours.empty} name no place.",
        "",
        "| | geocoder | baseline: plain trigram lookup |",
        "|---|---:|---:|",
        f"| township accuracy, texts naming a place (target ≥ 97%) | {ours.township_accuracy:.1%} | {base.township_accuracy:.1%} |",
        f"| places invented for texts without one (target ≤ 2%) | {ours.false_positive_rate:.1%} | {base.false_positive_rate:.1%} |",
        *[
            f"| {p} (township; county for road/county rows) | {_rate(ours.by_precision[p])} | {_rate(base.by_precision[p])} |"
            for p in precisions
        ],
        *[f"| form: {f} | {_rate(ours.by_form[f])} | {_rate(base.by_form[f])} |" for f in forms],
        f"| texts/s in process (geocode_many; baseline one query per text) | {len(rows) / ours_s:,.0f} | {len(rows) / base_s:,.0f} |",
        "",
        f"Index build (cold, not counted above): {cold_s:.2f} s.",
        f"POST /api/geo/geocode through daphne, {args.batches} batches of {len(batch):,} texts: "
        f"{post_rate:,.0f} geocodes/s (target ≥ 1,000).",
        f"Single GET /api/geo/geocode through daphne, {len(latencies):,} sequential requests "
        f"(statuses {dict(sorted(statuses.items()))}): {summary_ms(latencies)} (target p50 ≤ 20 ms).",
    ]
    if ours.misses:
        lines += ["", "Misses of the geocoder:", ""]
        lines += [
            f"- {text} — expected {want or 'no place'}, got {got or 'no point'}" for text, want, got in ours.misses
        ]
    print("\n".join(lines))
    print(f"HTTP p50 {percentile(latencies, 50) * 1000:.2f} ms; POST {post_rate:,.0f}/s")
    if not args.no_record:
        record("Geocoding (bench/geocode.py)", lines)


if __name__ == "__main__":
    main()
