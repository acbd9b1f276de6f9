"""`manage.py import_boundaries`: any city's files, one transaction, new generations."""

import json

import geopandas as gpd
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from grid.models import Area, AreaPiece, BoundaryGeneration
from grid.selectors import locate_point

pytestmark = pytest.mark.django_db

FIXTURES = settings.BASE_DIR / "fixtures" / "pingdingshan"


def _import(path, level="county", **kw):
    args = {"level": level, "code_field": "code", "name_field": "name", "verbosity": 0, **kw}
    call_command("import_boundaries", str(path), **args)


def test_reimporting_the_fixture_counties_opens_a_new_generation_and_keeps_the_old_rows():
    old = {a.code: a.pk for a in Area.objects.current().filter(level="county")}
    _import(FIXTURES / "counties.geojson", parent_field="parent_code", extra_fields=True)
    new = {a.code: a for a in Area.objects.current().filter(level="county")}
    assert set(new) == set(old)
    assert all(new[c].pk != old[c] for c in old)
    # The old rows are closed, not deleted: whatever pointed at them still does.
    closed = Area.objects.filter(pk__in=old.values())
    assert closed.count() == len(old) and all(a.valid_to is not None for a in closed)
    assert BoundaryGeneration.objects.current().filter(level="county").count() == 1
    # Current townships hang under the new county rows, and lookups use them.
    for t in Area.objects.current().filter(level="township").select_related("parent"):
        assert t.parent.valid_to is None
    assert AreaPiece.objects.filter(level="county", area__valid_to__isnull=False).count() == 0
    changqing = Area.objects.current().get(code="410402002005").label_point
    assert locate_point(changqing.x, changqing.y)["county"]["name"] == "新华区"
    assert new["410471"].is_zone


@pytest.mark.parametrize("driver, suffix", [("ESRI Shapefile", ".shp"), ("GPKG", ".gpkg")])
def test_shapefile_and_geopackage_import_with_parent_found_by_containment(tmp_path, driver, suffix):
    gdf = gpd.read_file(FIXTURES / "townships.geojson")
    path = tmp_path / f"towns{suffix}"
    gdf[["code", "name", "geometry"]].to_crs(3857).to_file(path, driver=driver, engine="pyogrio")
    _import(path, level="township")
    towns = Area.objects.current().filter(level="township")
    assert towns.count() == 148
    assert towns.get(code="410402002").parent.code == "410402"
    # reprojected back from EPSG:3857
    assert 112 < towns.get(code="410402002").label_point.x < 114


def _bad_file(tmp_path, features):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _square(x, y, d=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def _feature(code, name, geometry, parent="410402"):
    return {"type": "Feature", "properties": {"code": code, "name": name, "parent": parent}, "geometry": geometry}


@pytest.mark.parametrize(
    "features, message",
    [
        (
            [_feature("410402900", "甲", _square(113.2, 33.7)), _feature("", "乙", _square(113.21, 33.7))],
            "row 2: the code is empty",
        ),
        (
            [_feature("410402900", "甲", _square(113.2, 33.7)), _feature("410402900", "乙", _square(113.21, 33.7))],
            "repeats row 1",
        ),
        ([_feature("410402900", "甲", _square(12_000_000, 4_000_000))], "outside longitude/latitude"),
        ([_feature("410402900", "甲", {"type": "Point", "coordinates": [113.2, 33.7]})], "expected a polygon"),
        ([_feature("410402900", "甲", _square(113.2, 33.7), parent="999999")], "parent code 999999"),
    ],
)
def test_a_bad_row_aborts_the_whole_import_and_names_the_row(tmp_path, features, message):
    before = (Area.objects.count(), BoundaryGeneration.objects.count())
    with pytest.raises(CommandError, match=message):
        _import(_bad_file(tmp_path, features), level="township", parent_field="parent")
    assert (Area.objects.count(), BoundaryGeneration.objects.count()) == before


def test_a_self_intersecting_ring_is_repaired(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[113.2, 33.7], [113.3, 33.8], [113.3, 33.7], [113.2, 33.8], [113.2, 33.7]]],
    }
    _import(_bad_file(tmp_path, [_feature("410402900", "蝴蝶", bowtie)]), level="township", parent_field="parent")
    area = Area.objects.current().get(code="410402900")
    assert area.geom.valid and len(area.geom) == 2


def test_a_missing_field_or_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="not in the file"):
        _import(FIXTURES / "counties.geojson", code_field="adcode")
    with pytest.raises(CommandError, match="no such file"):
        _import(tmp_path / "nope.geojson")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not geojson")
    with pytest.raises(CommandError, match="cannot be read"):
        _import(garbage)
