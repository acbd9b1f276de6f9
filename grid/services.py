"""Writes to the grid: boundary imports (each a new generation) and the
organization (offices, users)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from .models import LEVEL_ORDER, Area, AreaPiece, BoundaryGeneration, Level, Office, User, parent_level

# Vertices per piece for ST_Subdivide: small pieces make point-in-polygon cheap.
PIECE_MAX_VERTICES = 64


class BoundaryImportError(Exception):
    """A boundary file or row that cannot be imported; nothing was written."""


@dataclass
class BoundaryRecord:
    """One area read from a boundary file, before it is written."""

    row: int
    code: str
    name: str
    geometry: BaseGeometry
    parent_code: str | None = None
    short_name: str = ""
    aliases: list[str] = field(default_factory=list)
    is_zone: bool = False
    is_central: bool = False
    urban: bool = False
    synthetic_geometry: bool = False


def file_checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def repair_geometry(geom: BaseGeometry, *, row: int) -> shapely.MultiPolygon:
    """A valid MultiPolygon from whatever polygonal geometry a file holds."""
    if geom is None or geom.is_empty:
        raise BoundaryImportError(f"row {row}: the geometry is empty or could not be read")
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise BoundaryImportError(f"row {row}: expected a polygon, found {geom.geom_type}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BoundaryImportError(
            f"row {row}: coordinates {geom.bounds} are outside longitude/latitude range "
            "(is the file's coordinate system declared?)"
        )
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    polygons = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    if not polygons:
        nested = [p for g in shapely.get_parts(geom) for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
        polygons = nested
    if not polygons:
        raise BoundaryImportError(f"row {row}: no polygon left after repairing the geometry")
    return shapely.MultiPolygon(polygons)


def _to_geos(geom: BaseGeometry) -> MultiPolygon:
    g = GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4326)
    return g if isinstance(g, MultiPolygon) else MultiPolygon(g, srid=4326)


def validate_records(records: list[BoundaryRecord], *, level: str) -> None:
    """Raise BoundaryImportError naming the first bad row; repair geometries in place."""
    seen: dict[str, int] = {}
    for rec in records:
        if not rec.code:
            raise BoundaryImportError(f"row {rec.row}: the code is empty")
        if len(rec.code) > 12:
            raise BoundaryImportError(f"row {rec.row}: code {rec.code!r} is longer than 12 characters")
        if not rec.name:
            raise BoundaryImportError(f"row {rec.row}: the name is empty")
        if len(rec.name) > 100 or len(rec.short_name) > 50:
            raise BoundaryImportError(
                f"row {rec.row}: the name is longer than 100 characters (or the short name than 50)"
            )
        if any(len(a) > 100 for a in rec.aliases):
            raise BoundaryImportError(f"row {rec.row}: an alias is longer than 100 characters")
        if rec.code in seen:
            raise BoundaryImportError(f"row {rec.row}: code {rec.code} repeats row {seen[rec.code]}")
        seen[rec.code] = rec.row
        rec.geometry = repair_geometry(rec.geometry, row=rec.row)
    if level != Level.CITY and not records:
        raise BoundaryImportError("the file holds no features")


def _resolve_parents(records: list[BoundaryRecord], *, level: str) -> dict[str, Area]:
    """Parent area for each record code: by parent code when given, else by containment."""
    plevel = parent_level(level)
    if plevel is None:
        return {}
    parents = {a.code: a for a in Area.objects.current().filter(level=plevel)}
    if not parents:
        raise BoundaryImportError(f"no current {plevel} boundaries: import the {plevel} level first")
    resolved: dict[str, Area] = {}
    shapes: dict[str, shapely.Geometry] = {}
    for rec in records:
        if rec.parent_code:
            parent = parents.get(rec.parent_code)
            if parent is None:
                raise BoundaryImportError(f"row {rec.row}: parent code {rec.parent_code} is not a current {plevel}")
            # a file whose coordinate system is declared wrong lands far away, yet in range: refuse it
            if parent.code not in shapes:
                shapes[parent.code] = shapely.from_wkb(bytes(parent.geom.wkb))
                shapely.prepare(shapes[parent.code])
            if not shapes[parent.code].intersects(rec.geometry):
                raise BoundaryImportError(
                    f"row {rec.row}: {rec.name} does not overlap its parent {plevel} {parent.code} "
                    "(is the file's coordinate system declared right?)"
                )
        else:
            inside = rec.geometry.representative_point()
            parent = (
                Area.objects.at(Point(inside.x, inside.y, srid=4326)).filter(level=plevel).only("id", "code").first()
            )
            if parent is None:
                raise BoundaryImportError(f"row {rec.row}: {rec.name} lies in no current {plevel}")
        resolved[rec.code] = parent
    return resolved


def bump_grid_version() -> None:
    """Tell in-process lookup indexes (grid.index) that the boundaries changed."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO grid_gridstate (id, version, changed_at) VALUES (1, nextval('grid_version_seq'), now()) "
            "ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, changed_at = now()"
        )


def rebuild_pieces(*, level: str) -> int:
    """Subdivide the current areas of a level into small pieces for point lookups."""
    AreaPiece.objects.filter(level=level).delete()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO grid_areapiece (area_id, level, depth, geom)
            SELECT id, level, %s, ST_Subdivide(geom, %s)
            FROM grid_area WHERE level = %s AND valid_to IS NULL
            """,
            [LEVEL_ORDER.index(level), PIECE_MAX_VERTICES, level],
        )
        count = cur.rowcount
        cur.execute("ANALYZE grid_areapiece")
    bump_grid_version()
    return count


@transaction.atomic
def import_boundaries(
    *,
    records: list[BoundaryRecord],
    level: str,
    source: str,
    checksum: str = "",
    note: str = "",
    progress: bool = False,
) -> BoundaryGeneration:
    """Import one level's boundaries as a new generation, in one transaction.

    The current areas of that level are closed (valid_to = now), never deleted,
    so that records pointing at them keep their history; current children are
    re-attached to the new area with the same code (or the one holding them).
    """
    if level not in LEVEL_ORDER:
        raise BoundaryImportError(f"unknown level {level!r}; use one of {', '.join(LEVEL_ORDER)}")
    validate_records(records, level=level)
    parents = _resolve_parents(records, level=level)
    now = timezone.now()

    old_ids = list(Area.objects.current().filter(level=level).values_list("id", flat=True))
    BoundaryGeneration.objects.current().filter(level=level).update(valid_to=now)
    Area.objects.filter(id__in=old_ids).update(valid_to=now)

    generation = BoundaryGeneration.objects.create(
        level=level, source=source, checksum=checksum, note=note, valid_from=now
    )
    areas = []
    for rec in tqdm(records, desc=f"{level:>9}", unit="area", disable=not progress, leave=False):
        label = rec.geometry.representative_point()
        areas.append(
            Area(
                generation=generation,
                level=level,
                code=rec.code,
                name=rec.name,
                short_name=rec.short_name,
                aliases=sorted({a for a in rec.aliases if a and a != rec.name}),
                parent=parents.get(rec.code),
                is_zone=rec.is_zone,
                is_central=rec.is_central,
                urban=rec.urban,
                synthetic_geometry=rec.synthetic_geometry,
                geom=_to_geos(rec.geometry),
                label_point=Point(label.x, label.y, srid=4326),
                valid_from=now,
            )
        )
    Area.objects.bulk_create(areas, batch_size=500)

    if old_ids:
        _reattach_children(old_ids=old_ids, generation=generation)
    rebuild_pieces(level=level)
    return generation


def _reattach_children(*, old_ids: list[int], generation: BoundaryGeneration) -> None:
    """Point current children of closed areas at their successor: same code, else the one holding them."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE grid_area child SET parent_id = new.id
            FROM grid_area old, grid_area new
            WHERE child.parent_id = old.id AND old.id = ANY(%s) AND child.valid_to IS NULL
              AND new.generation_id = %s AND new.code = old.code
            """,
            [old_ids, generation.id],
        )
        cur.execute(
            """
            UPDATE grid_area child SET parent_id = (
                SELECT new.id FROM grid_area new
                WHERE new.generation_id = %s AND ST_Intersects(new.geom, child.label_point) LIMIT 1)
            WHERE child.parent_id = ANY(%s) AND child.valid_to IS NULL
            """,
            [generation.id, old_ids],
        )


def records_from_dataframe(
    gdf,
    *,
    code_field: str,
    name_field: str,
    parent_field: str | None = None,
    extra_fields: bool = False,
    progress: bool = False,
) -> list[BoundaryRecord]:
    """BoundaryRecords from a GeoDataFrame, reprojected to EPSG:4326."""
    if len(gdf) == 0:
        raise BoundaryImportError("the file holds no features")
    missing = [f for f in (code_field, name_field, parent_field) if f and f not in gdf.columns]
    if missing:
        raise BoundaryImportError(
            f"field(s) {', '.join(missing)} not in the file; it has: {', '.join(c for c in gdf.columns if c != 'geometry')}"
        )
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)

    def text(value) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    records = []
    for i, row in enumerate(
        tqdm(
            gdf.itertuples(index=False), total=len(gdf), desc="reading", unit="row", disable=not progress, leave=False
        ),
        start=1,
    ):
        data = row._asdict()
        rec = BoundaryRecord(
            row=i,
            code=text(data.get(code_field)),
            name=text(data.get(name_field)),
            geometry=data.get("geometry"),
            parent_code=text(data.get(parent_field)) or None if parent_field else None,
        )
        if extra_fields:
            rec.short_name = text(data.get("short_name"))
            aliases = data.get("aliases")
            # GeoJSON string lists arrive from pyogrio as numpy arrays, not lists
            is_list = hasattr(aliases, "__iter__") and not isinstance(aliases, (str, bytes, dict))
            rec.aliases = [text(a) for a in aliases if text(a)] if is_list else []
            for flag in ("is_zone", "is_central", "urban", "synthetic_geometry"):
                setattr(rec, flag, bool(data.get(flag) or False))
        records.append(rec)
    return records


def read_boundary_file(path: Path, *, layer: str | None = None):
    """A GeoDataFrame from GeoJSON, Shapefile or GeoPackage (pyogrio)."""
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise BoundaryImportError(f"{path}: no such file")
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError kinds
        raise BoundaryImportError(f"{path}: cannot be read as a boundary file ({exc})") from exc


@transaction.atomic
def upsert_offices(offices: list[dict]) -> int:
    """Create or update offices by code; parents are set after all exist."""
    by_code = {}
    for o in offices:
        obj, _ = Office.objects.update_or_create(
            code=o["code"],
            defaults={
                "kind": o["kind"],
                "name": o["name"],
                "area_code": o["area_code"],
                "remit": o.get("remit", []),
                "phone": o.get("phone", ""),
            },
        )
        by_code[o["code"]] = obj
    for o in offices:
        parent = by_code.get(o.get("parent_code")) if o.get("parent_code") else None
        Office.objects.filter(code=o["code"]).update(parent=parent)
    return len(by_code)


def ensure_user(*, username: str, office: Office, role: str, display_name: str, password: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"office": office, "role": role, "display_name": display_name}
    )
    if created:
        user.set_password(password)
        user.is_staff = role == "admin"
        user.is_superuser = role == "admin"
        user.save()
    return user
