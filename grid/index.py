"""An in-process point-location index over the subdivided area pieces.

Bulk lookups (up to 10,000 points per API call, ticket imports, benches) query a
shapely 2 STRtree instead of PostGIS: the same GEOS predicate, no round trip per
point. The index is keyed by GridState.version, which every boundary change
bumps inside its transaction, so a process rebuilds it on the next call after a
re-import and never answers from a retired generation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import shapely
from django.db import connection

T = TypeVar("T")


@dataclass(frozen=True)
class LocateIndex:
    version: int
    trees: dict[int, tuple[shapely.STRtree, np.ndarray]]  # depth → (tree, area id per piece)

    def _hits(self, depth: int, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into pts, area id) of the points inside an area of that depth."""
        if depth not in self.trees:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        tree, area_ids = self.trees[depth]
        point_idx, piece_idx = tree.query(pts, predicate="intersects")
        # a point on a shared edge touches two pieces: keep one, as PostGIS's LIMIT 1 would
        first = np.unique(point_idx, return_index=True)[1]
        return point_idx[first], area_ids[piece_idx[first]]

    def deepest_area_ids(self, lons, lats) -> np.ndarray:
        """Area id of the deepest area holding each point; -1 outside every area."""
        pts = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        found = np.full(len(pts), -1, dtype=np.int64)
        idx, ids = self._hits(3, pts)  # communities cover the city: most points end here
        found[idx] = ids
        todo = np.flatnonzero(found == -1)
        if len(todo):
            # the rest are mostly outside the city: one coarse test drops them,
            # then the few in gaps between communities take the deepest level holding them
            inside, city_ids = self._hits(0, pts[todo])
            found[todo[inside]] = city_ids
            todo = todo[inside]
            for depth in (2, 1):
                if len(todo) == 0:
                    break
                idx, ids = self._hits(depth, pts[todo])
                found[todo[idx]] = ids
                todo = np.delete(todo, idx)
        return found


def grid_version() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT version FROM grid_gridstate WHERE id = 1")
        row = cur.fetchone()
    return row[0] if row else 0


def _build(version: int) -> LocateIndex:
    with connection.cursor() as cur:
        cur.execute("SELECT depth, area_id, ST_AsBinary(geom) FROM grid_areapiece ORDER BY depth DESC, id")
        rows = cur.fetchall()
    trees = {}
    for depth in sorted({r[0] for r in rows}):
        part = [r for r in rows if r[0] == depth]
        geoms = shapely.from_wkb([bytes(r[2]) for r in part])
        trees[depth] = (shapely.STRtree(geoms), np.array([r[1] for r in part], dtype=np.int64))
    return LocateIndex(version=version, trees=trees)


class VersionedCache(Generic[T]):
    """One value per process, rebuilt when `version()` changes: the pattern of the
    in-process indexes (this one, and geo's gazetteer index). The check is one small
    query; the build runs once per version even when threads ask at the same time."""

    def __init__(self, *, version: Callable[[], Hashable], build: Callable[[Hashable], T]):
        self._version, self._build = version, build
        self._lock = threading.Lock()
        self._current: tuple[Hashable, T] | None = None

    def get(self) -> T:
        version = self._version()
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        with self._lock:
            if self._current is None or self._current[0] != version:
                self._current = (version, self._build(version))
            return self._current[1]


_locate_index = VersionedCache(version=grid_version, build=_build)


def locate_index() -> LocateIndex:
    """The index for the grid as it is now (one small query to check the version)."""
    return _locate_index.get()
