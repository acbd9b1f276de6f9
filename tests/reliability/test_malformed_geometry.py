"""Malformed geometries, everywhere one goes in: the boundary import command and every API that
takes a point or a box answer with a clear message (a CommandError naming the row, a 4xx naming
the field), never a 500, and an import that fails leaves nothing behind.

The import command's happy paths and its first bad rows are in tests/grid/test_import_boundaries.py;
locate's and the list/maps boxes' in tests/grid/test_locate_api.py, tests/maps/test_api.py and
tests/dispatch/test_list_api.py. This file holds what they did not try.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from grid.models import Area, AreaPiece, BoundaryGeneration

pytestmark = pytest.mark.django_db


def square(x: float, y: float, d: float = 0.01) -> list:
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def feature(geometry, *, code="410402900", name="新区街道", parent="410402") -> dict:
    return {"type": "Feature", "properties": {"code": code, "name": name, "parent": parent}, "geometry": geometry}


def collection(*features, crs: str | None = None) -> str:
    fc = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        fc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(fc, ensure_ascii=False)


GOOD = feature({"type": "Polygon", "coordinates": square(113.29, 33.75)}, code="410402901", name="好街道")
# GeoJSON text that json.dumps cannot write: NaN and Infinity literals, as some tools emit them
NAN_RING = '{"type":"Polygon","coordinates":[[[NaN,33.7],[113.3,33.7],[113.3,33.8],[NaN,33.7]]]}'
INF_RING = '{"type":"Polygon","coordinates":[[[113.2,33.7],[Infinity,33.7],[113.3,33.8],[113.2,33.7]]]}'


def with_raw_geometry(raw: str) -> str:
    return collection(GOOD, feature("@@")).replace('"@@"', raw)


BAD_FILES = {
    "NaN coordinate": (with_raw_geometry(NAN_RING), "closed linestring"),
    "Infinity coordinate": (with_raw_geometry(INF_RING), "row 2: coordinates (113.2, 33.7, inf, 33.8) are outside"),
    "longitude 200": (collection(GOOD, feature({"type": "Polygon", "coordinates": square(200, 33.7)})), "row 2"),
    "latitude 95": (collection(GOOD, feature({"type": "Polygon", "coordinates": square(113.2, 95)})), "outside"),
    "null geometry": (collection(GOOD, feature(None)), "row 2: the geometry is empty"),
    "empty polygon": (collection(GOOD, feature({"type": "Polygon", "coordinates": []})), "row 2: the geometry"),
    "empty multipolygon": (collection(GOOD, feature({"type": "MultiPolygon", "coordinates": []})), "empty"),
    "empty collection": (collection(GOOD, feature({"type": "GeometryCollection", "geometries": []})), "empty"),
    "unknown geometry type": (collection(GOOD, feature({"type": "Polygonz", "coordinates": square(1, 1)})), "row 2"),
    "text coordinates": (
        collection(GOOD, feature({"type": "Polygon", "coordinates": [[["a", "b"], [1, 1], [1, 2], ["a", "b"]]]})),
        "row 2",
    ),
    "ring of two points": (
        collection(GOOD, feature({"type": "Polygon", "coordinates": [[[113.2, 33.7], [113.3, 33.7]]]})),
        "closed linestring",
    ),
    "unclosed ring": (
        collection(
            GOOD,
            feature({"type": "Polygon", "coordinates": [[[113.2, 33.7], [113.3, 33.7], [113.3, 33.8], [113.2, 33.8]]]}),
        ),
        "closed linestring",
    ),
    "ring collapsed to a line": (
        collection(
            GOOD,
            feature({"type": "Polygon", "coordinates": [[[113.2, 33.7], [113.3, 33.7], [113.4, 33.7], [113.2, 33.7]]]}),
        ),
        "no polygon left",
    ),
    "a point where a polygon belongs": (
        collection(GOOD, feature({"type": "Point", "coordinates": [113.2, 33.7]})),
        "expected a polygon",
    ),
    # degrees declared as Web Mercator metres: reprojected to a few millimetres off (0°, 0°)
    "wrong coordinate system declared": (
        collection(
            feature({"type": "Polygon", "coordinates": square(113.29, 33.75)}), crs="urn:ogc:def:crs:EPSG::3857"
        ),
        "does not overlap its parent county 410402",
    ),
    "name too long for the register": (
        collection(GOOD, feature({"type": "Polygon", "coordinates": square(113.3, 33.76)}, name="长" * 101)),
        "row 2: the name is longer than 100",
    ),
    "not JSON at all": ('{"type": "FeatureCollection", "features": [', "cannot be read"),
    "no features": (collection(), "no features"),
}


def current_state() -> tuple:
    return (
        Area.objects.count(),
        BoundaryGeneration.objects.count(),
        sorted(Area.objects.current().filter(level="township").values_list("id", flat=True)),
        AreaPiece.objects.filter(level="township").count(),
    )


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_boundary_file_is_refused_with_a_message_and_nothing_is_imported(tmp_path, case):
    text, message = BAD_FILES[case]
    path = tmp_path / "townships.geojson"
    path.write_text(text, encoding="utf-8")
    before = current_state()
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_boundaries",
            str(path),
            level="township",
            code_field="code",
            name_field="name",
            parent_field="parent",
            verbosity=0,
        )
    assert message in str(refused.value)
    assert "nothing was imported" in str(refused.value)
    assert current_state() == before


def test_a_self_intersecting_township_inside_its_county_is_repaired_not_refused(tmp_path):
    """A figure-eight ring is made valid (two triangles), and still lies in its parent."""
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[113.28, 33.74], [113.3, 33.76], [113.3, 33.74], [113.28, 33.76], [113.28, 33.74]]],
    }
    path = tmp_path / "townships.geojson"
    path.write_text(collection(feature(bowtie)), encoding="utf-8")
    call_command(
        "import_boundaries",
        str(path),
        level="township",
        code_field="code",
        name_field="name",
        parent_field="parent",
        verbosity=0,
    )
    area = Area.objects.current().get(code="410402900")
    assert area.geom.valid and area.geom.num_geom == 2 and area.parent.code == "410402"


@pytest.mark.parametrize(
    "url, field",
    [
        ("/api/geo/roads/?in_bbox=nan,nan,nan,nan", "in_bbox"),  # was a 500: GEOS could not build the ring
        ("/api/geo/places/?in_bbox=inf,33,114,34", "in_bbox"),
        ("/api/geo/places/?in_bbox=1e400,0,1,1", "in_bbox"),
        ("/api/geo/places/?in_bbox=200,95,300,100", "in_bbox"),
        ("/api/geo/roads/?in_bbox=114,34,113,33", "in_bbox"),
        ("/api/geo/roads/?in_bbox=,,,", "in_bbox"),
        ("/api/geo/reverse?lon=200&lat=33.7", "lon"),
        ("/api/geo/reverse?lon=113.3&lat=95", "lat"),
        ("/api/geo/reverse?lon=nan&lat=33.7", "lon"),
        ("/api/geo/reverse?lon=113.3&lat=-inf", "lat"),
        ("/api/geo/reverse?lon=1e309&lat=33.7", "lon"),
        ("/api/geo/geocode?q=长青社区&near=200,95", "near"),
        ("/api/grid/locate?lon=1e309&lat=33.7", "lon"),
        ("/api/grid/locate?lon=113.3&lat=95", "lat"),
    ],
)
def test_a_malformed_point_or_box_in_a_query_is_400_naming_the_parameter(client, url, field):
    resp = client.get(url)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


@pytest.mark.parametrize(
    "path, user, params, field",
    [
        ("/api/tickets/", "city_dispatcher", {"bbox": "nan,33,114,34"}, "bbox"),
        ("/api/tickets/", "city_dispatcher", {"bbox": "-1e309,0,1,1"}, "bbox"),
        ("/api/tickets/", "city_dispatcher", {"bbox": "200,95,300,100"}, "bbox"),
        ("/api/maps/clusters", "wall_viewer", {"bbox": "113,33,113,33", "zoom": 9}, "bbox"),
        ("/api/maps/clusters", "wall_viewer", {"bbox": "-inf,33,114,34", "zoom": 9}, "bbox"),
        ("/api/maps/clusters", "wall_viewer", {"bbox": "113,33,114,34", "zoom": "nan"}, "zoom"),
    ],
)
def test_a_malformed_box_for_tickets_and_maps_is_400_naming_the_parameter(client, path, user, params, field):
    from grid.models import User

    client.force_login(User.objects.get(username=user))
    resp = client.get(path, params)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


@pytest.mark.parametrize(
    "body, fragment",
    [
        ('{"points": [[NaN, 33.7]]}', "NaN"),
        ('{"points": [[113.3, Infinity]]}', "Infinity"),
        ('{"points": [[113.3, 33.7], [200, 33.7]]}', "points[1]"),
        ('{"points": [[113.3, 33.7, 12]]}', "points"),
        ('{"points": {"type": "MultiPoint", "coordinates": [[113.3, 33.7]]}}', "points"),
        ('{"points": [[113.3, 33.7]', "JSON"),
    ],
)
def test_malformed_points_to_bulk_locate_are_400(client, body, fragment):
    resp = client.post("/api/grid/locate", body, content_type="application/json")
    assert resp.status_code == 400
    assert fragment in resp.content.decode()


INTAKE = {
    "channel": "phone",
    "kind": "complaint",
    "urgency": "general",
    "category": "0101",
    "description": "楼下下水道堵了，污水溢到路面上，已经两天了",
    "caller_name": "王芳",
    "caller_phone": "13812341234",
}


@pytest.mark.parametrize(
    "location, field",
    [
        ({"lon": 200, "lat": 33.7}, "lon"),
        ({"lon": 113.3, "lat": 95}, "lat"),
        ({"lon": -181, "lat": 33.7}, "lon"),
        ({"lon": "nan", "lat": 33.7}, "lon"),
        ({"lon": 113.3, "lat": "inf"}, "lat"),
        ({"lon": "113.3", "lat": "33,7"}, "lat"),
        ({"lon": [113.3], "lat": 33.7}, "lon"),
    ],
)
def test_a_ticket_with_a_malformed_gps_position_is_400_and_not_taken_in(client, location, field):
    from dispatch.models import Ticket
    from grid.models import User

    client.force_login(User.objects.get(username="city_dispatcher"))
    before = Ticket.objects.count()
    resp = client.post("/api/tickets/", {**INTAKE, **location}, content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_ticket_whose_json_carries_a_non_finite_number_is_400(client, literal):
    from grid.models import User

    client.force_login(User.objects.get(username="city_dispatcher"))
    body = json.dumps({**INTAKE, "lat": 33.7, "lon": 0}).replace('"lon": 0', f'"lon": {literal}')
    resp = client.post("/api/tickets/", body, content_type="application/json")
    assert resp.status_code == 400
    assert literal in resp.json()["detail"]
