"""Roads and places as GeoJSON: the base map is drawn from our own gazetteer."""

import pytest

pytestmark = pytest.mark.django_db


def test_roads_are_a_feature_collection_and_a_bbox_narrows_them(client):
    everything = client.get("/api/geo/roads/").json()
    assert everything["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in everything["features"]}
    assert {"新建路", "长青路", "中兴路"} <= names
    # a small box around the 新建路 / 长青路 crossing in 长青社区
    near = client.get("/api/geo/roads/", {"in_bbox": "113.29,33.75,113.30,33.76"}).json()
    near_names = {f["properties"]["name"] for f in near["features"]}
    assert {"新建路", "长青路"} <= near_names
    assert len(near["features"]) < len(everything["features"])


def test_places_can_be_filtered_by_kind(client):
    resp = client.get("/api/geo/places/", {"kind": "school"})
    assert resp.status_code == 200
    kinds = {f["properties"]["kind"] for f in resp.json()["features"]}
    assert kinds == {"school"}


@pytest.mark.parametrize("params, field", [({"kind": "volcano"}, "kind"), ({"in_bbox": "1,2,x,4"}, "bbox")])
def test_bad_base_map_filters_are_400(client, params, field):
    resp = client.get("/api/geo/places/", params)
    assert resp.status_code == 400
    assert field in str(resp.json())
