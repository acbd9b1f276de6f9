"""Writes to the gazetteer: loading roads, house-number ranges and places from
GeoJSON files, and deriving the road crossings from the road geometries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString
from django.db import connection, transaction
from tqdm import tqdm

from .models import AddressRange, GazetteerState, Intersection, Place, Road


class GazetteerLoadError(Exception):
    """A gazetteer file or feature that cannot be loaded; nothing was written."""


@dataclass
class GazetteerFiles:
    roads: Path
    addresses: Path
    places: Path

    @classmethod
    def in_folder(cls, folder: Path) -> GazetteerFiles:
        return cls(
            roads=folder / "roads.geojson", addresses=folder / "addresses.geojson", places=folder / "places.geojson"
        )

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in (self.roads, self.addresses, self.places):
            digest.update(Path(path).read_bytes())
        return digest.hexdigest()


@dataclass
class LoadSummary:
    roads: int
    address_ranges: int
    places: int
    intersections: int
    skipped: bool = False


def _features(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GazetteerLoadError(f"{path}: {exc}") from exc
    if data.get("type") != "FeatureCollection":
        raise GazetteerLoadError(f"{path}: not a GeoJSON FeatureCollection")
    return data["features"]


def _geometry(feature: dict, path: Path, expected: tuple[str, ...]) -> GEOSGeometry:
    g = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
    if g.geom_type not in expected:
        code = feature["properties"].get("code")
        raise GazetteerLoadError(f"{path}: feature {code} is a {g.geom_type}, expected {' or '.join(expected)}")
    return g


def bump_gazetteer_version(*, checksum: str) -> None:
    """Tell in-process geocoding indexes (geo.index) that the gazetteer changed."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO geo_gazetteerstate (id, version, checksum, changed_at) VALUES (1, 1, %s, now()) "
            "ON CONFLICT (id) DO UPDATE SET version = geo_gazetteerstate.version + 1, checksum = EXCLUDED.checksum, "
            "changed_at = now()",
            [checksum],
        )


def rebuild_intersections() -> int:
    """Every point where two roads cross, from the geometries (one statement)."""
    Intersection.objects.all().delete()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO geo_intersection (road_a_id, road_b_id, point)
            SELECT a_id, b_id, g FROM (
                SELECT a.id AS a_id, b.id AS b_id, (ST_Dump(ST_Intersection(a.geom, b.geom))).geom AS g
                FROM geo_road a JOIN geo_road b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
            ) parts
            -- roads that overlap along a stretch share a line, not a crossing
            WHERE GeometryType(g) = 'POINT'
            """
        )
        cur.execute("ANALYZE geo_intersection")
    return Intersection.objects.count()


@transaction.atomic
def load_gazetteer(*, files: GazetteerFiles, force: bool = False, progress: bool = False) -> LoadSummary:
    """Replace the gazetteer with the files' content (all or nothing); a no-op when
    the same files are already loaded, unless forced."""
    checksum = files.checksum()
    state = GazetteerState.objects.filter(id=1).first()
    if state is not None and state.checksum == checksum and not force:
        return LoadSummary(
            roads=Road.objects.count(),
            address_ranges=AddressRange.objects.count(),
            places=Place.objects.count(),
            intersections=Intersection.objects.count(),
            skipped=True,
        )
    road_features = _features(files.roads)
    range_features = _features(files.addresses)
    place_features = _features(files.places)

    AddressRange.objects.all().delete()
    Intersection.objects.all().delete()
    Road.objects.all().delete()
    Place.objects.all().delete()

    roads = []
    for f in tqdm(road_features, desc="roads", unit="road", disable=not progress):
        p = f["properties"]
        g = _geometry(f, files.roads, ("MultiLineString", "LineString"))
        roads.append(
            Road(
                code=p["code"],
                name=p["name"],
                aliases=p.get("aliases", []),
                county_codes=p.get("county_codes", []),
                township_codes=p.get("township_codes", []),
                is_main=bool(p.get("main", False)),
                synthetic=bool(p.get("synthetic", False)),
                geom=g if isinstance(g, MultiLineString) else MultiLineString(g, srid=4326),
            )
        )
    Road.objects.bulk_create(roads, batch_size=500)
    road_ids = dict(Road.objects.values_list("code", "id"))

    ranges = []
    for f in tqdm(range_features, desc="house numbers", unit="range", disable=not progress):
        p = f["properties"]
        if p["road_code"] not in road_ids:
            raise GazetteerLoadError(f"{files.addresses}: range {p['code']} names unknown road {p['road_code']}")
        g = _geometry(f, files.addresses, ("LineString",))
        ranges.append(
            AddressRange(
                code=p["code"],
                road_id=road_ids[p["road_code"]],
                first=p["first"],
                last=p["last"],
                parity=p["parity"],
                synthetic=bool(p.get("synthetic", False)),
                geom=g if isinstance(g, LineString) else LineString(g, srid=4326),
            )
        )
    AddressRange.objects.bulk_create(ranges, batch_size=500)

    places = []
    for f in tqdm(place_features, desc="places", unit="place", disable=not progress):
        p = f["properties"]
        if p.get("kind") not in Place.Kind.values:
            raise GazetteerLoadError(f"{files.places}: place {p.get('code')} has unknown kind {p.get('kind')!r}")
        places.append(
            Place(
                code=p["code"],
                name=p["name"],
                aliases=p.get("aliases", []),
                kind=p["kind"],
                point=_geometry(f, files.places, ("Point",)),
                community_code=p.get("community_code") or "",
                township_code=p.get("township_code") or "",
                county_code=p.get("county_code") or "",
                synthetic=bool(p.get("synthetic", False)),
            )
        )
    Place.objects.bulk_create(places, batch_size=1000)

    intersections = rebuild_intersections()
    with connection.cursor() as cur:
        cur.execute("ANALYZE geo_road; ANALYZE geo_place; ANALYZE geo_addressrange")
    bump_gazetteer_version(checksum=checksum)
    return LoadSummary(roads=len(roads), address_ranges=len(ranges), places=len(places), intersections=intersections)
