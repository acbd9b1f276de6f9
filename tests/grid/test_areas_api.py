import pytest

pytestmark = pytest.mark.django_db


def test_county_level_areas_are_a_feature_collection_with_the_two_zones(client):
    resp = client.get("/api/grid/areas/", {"level": "county", "simplify": 0.001})
    assert resp.status_code == 200
    fc = resp.json()
    assert fc["type"] == "FeatureCollection"
    props = {f["id"]: f["properties"] for f in fc["features"]}
    assert len(props) == 12
    assert props["410471"]["is_zone"] and props["410472"]["is_zone"]
    assert not props["410402"]["is_zone"]
    assert fc["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_simplify_reduces_the_vertices(client):
    def vertices(tol):
        fc = client.get("/api/grid/areas/", {"level": "county", "simplify": tol}).json()
        return sum(len(ring) for f in fc["features"] for poly in f["geometry"]["coordinates"] for ring in poly)

    assert vertices(0.01) < vertices(0)


def test_children_of_an_area_can_be_listed(client):
    fc = client.get("/api/grid/areas/", {"parent": "410402002"}).json()
    names = {f["properties"]["name"] for f in fc["features"]}
    assert "长青社区居民委员会" in names
    assert all(f["properties"]["parent_code"] == "410402002" for f in fc["features"])


@pytest.mark.parametrize("params", [{"level": "planet"}, {"simplify": -1}, {"simplify": "big"}, {"simplify": 5}])
def test_bad_area_filters_are_400(client, params):
    resp = client.get("/api/grid/areas/", params)
    assert resp.status_code == 400
    assert next(iter(params)) in resp.json()


def test_area_detail_lists_children_and_offices(client):
    body = client.get("/api/grid/areas/410402002/").json()
    assert body["properties"]["name"] == "光明路街道"
    assert "410402002005" in body["properties"]["children"]
    offices = body["properties"]["offices"]
    assert offices[0]["kind"] == "township_center"
    assert offices[0]["parent_code"] == "CC-410400"


def test_unknown_area_is_404(client):
    resp = client.get("/api/grid/areas/999999/")
    assert resp.status_code == 404
    assert "999999" in resp.json()["detail"]


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/grid/locate" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
