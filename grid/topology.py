"""Topology of the current grid, level by level: children outside their parent,
overlaps between siblings, gaps in the parent's cover, invalid geometries.
Areas are measured in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E); shapes are
made valid again after reprojection, which can pinch near-touching rings."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from .models import LEVEL_ORDER


@dataclass
class LevelReport:
    level: str
    areas: int
    invalid: list[str] = field(default_factory=list)
    inside_ratio: float = 1.0  # share of children's area inside their parent
    overlap_ratio: float = 0.0  # sibling overlap over parents' area
    cover_ratio: float = 1.0  # parents' area covered by their children
    worst_inside: list[tuple[str, float]] = field(default_factory=list)
    worst_cover: list[tuple[str, float]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    def passes(self, *, inside=0.999, overlap=0.001, cover=0.999) -> bool:
        return (
            not self.invalid
            and not self.orphans
            and self.inside_ratio >= inside
            and self.overlap_ratio <= overlap
            and self.cover_ratio >= cover
        )


def check_level(level: str) -> LevelReport:
    srid = settings.METRIC_SRID
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM grid_area WHERE level=%s AND valid_to IS NULL", [level])
        report = LevelReport(level=level, areas=cur.fetchone()[0])
        cur.execute(
            "SELECT code FROM grid_area WHERE level=%s AND valid_to IS NULL AND NOT ST_IsValid(geom) ORDER BY code",
            [level],
        )
        report.invalid = [r[0] for r in cur.fetchall()]
        if level == LEVEL_ORDER[0]:
            return report
        cur.execute(
            "SELECT code FROM grid_area WHERE level=%s AND valid_to IS NULL AND parent_id IS NULL ORDER BY code",
            [level],
        )
        report.orphans = [r[0] for r in cur.fetchall()]
        cur.execute(
            f"""
            WITH c AS (
                SELECT c.code, ST_MakeValid(ST_Transform(c.geom, {srid})) AS g, ST_MakeValid(ST_Transform(p.geom, {srid})) AS pg
                FROM grid_area c JOIN grid_area p ON p.id = c.parent_id
                WHERE c.level = %s AND c.valid_to IS NULL AND ST_IsValid(c.geom) AND ST_IsValid(p.geom)
            )
            SELECT code, ST_Area(g), ST_Area(ST_Intersection(g, pg)) FROM c
            """,
            [level],
        )
        rows = cur.fetchall()
        total = sum(r[1] for r in rows) or 1.0
        report.inside_ratio = sum(r[2] for r in rows) / total
        report.worst_inside = sorted(((r[0], r[2] / r[1] if r[1] else 0.0) for r in rows), key=lambda x: x[1])[:5]
        cur.execute(
            f"""
            SELECT coalesce(sum(ST_Area(ST_Intersection(ST_MakeValid(ST_Transform(a.geom, {srid})), ST_MakeValid(ST_Transform(b.geom, {srid}))))), 0)
            FROM grid_area a JOIN grid_area b
              ON a.parent_id = b.parent_id AND a.id < b.id AND a.geom && b.geom
            WHERE a.level = %s AND b.level = %s AND a.valid_to IS NULL AND b.valid_to IS NULL
              AND ST_IsValid(a.geom) AND ST_IsValid(b.geom) AND ST_Intersects(a.geom, b.geom)
            """,
            [level, level],
        )
        overlap = cur.fetchone()[0]
        cur.execute(
            f"""
            WITH p AS (
                SELECT p.code, ST_MakeValid(ST_Transform(p.geom, {srid})) AS pg,
                       ST_MakeValid(ST_Transform(ST_Union(c.geom), {srid})) AS cu
                FROM grid_area p JOIN grid_area c ON c.parent_id = p.id AND c.valid_to IS NULL
                WHERE c.level = %s AND ST_IsValid(c.geom)
                GROUP BY p.id, p.code, p.geom
            )
            SELECT code, ST_Area(pg), ST_Area(ST_Intersection(pg, cu)) FROM p
            """,
            [level],
        )
        prow = cur.fetchall()
        parents_area = sum(r[1] for r in prow) or 1.0
        report.cover_ratio = sum(r[2] for r in prow) / parents_area
        report.worst_cover = sorted(((r[0], r[2] / r[1] if r[1] else 0.0) for r in prow), key=lambda x: x[1])[:5]
        report.overlap_ratio = overlap / parents_area
    return report


def check_grid() -> list[LevelReport]:
    return [check_level(level) for level in LEVEL_ORDER]
