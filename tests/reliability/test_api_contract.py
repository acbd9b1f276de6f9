"""Regression tests for what the schemathesis run (test_api_fuzz.py) found: each answer below was
once a 5xx, an HTML page on a JSON API, or a status or body the schema did not document."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker) -> dict:
    import io
    import json

    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    "url",
    [
        "/api/maps/hotspots/register/not-a-number/case",  # no route matches: was Django's HTML 404
        "/media/line%0Abreak.jpg",
        "/api/no/such/thing/",
    ],
)
def test_an_api_address_no_route_matches_is_a_json_404(admin_client, url):
    resp = admin_client.get(url) if url.startswith("/media/") else admin_client.post(url)
    assert resp.status_code == 404
    assert resp["Content-Type"] == "application/json" and resp.json()["code"] == "not_found"


def test_a_page_address_no_route_matches_is_still_a_page(client):
    resp = client.get("/no/such/page/")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("text/html")


def test_more_fields_than_django_reads_is_a_json_400_not_a_page(client, settings):
    """DATA_UPLOAD_MAX_NUMBER_FIELDS was an HTML 400 from Django, outside the API's contract."""
    fields = {f"queries{i}": "长青社区" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    resp = client.post("/api/geo/geocode", fields)
    assert resp.status_code == 400
    assert resp.json()["code"] == "too_many_fields"


def test_an_altered_cursor_is_400_naming_the_parameter(admin_client):
    resp = admin_client.get("/api/tickets/", {"cursor": "not-a-cursor"})
    assert resp.status_code == 400 and "cursor" in resp.json()
    assert admin_client.get("/api/dispatch-queue/", {"cursor": "not-a-cursor"}).status_code == 400


def test_the_ticket_list_and_queue_are_documented_as_cursor_pages(openapi):
    for path in ("/api/tickets/", "/api/dispatch-queue/"):
        ref = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"next", "previous", "results"} <= set(page["properties"])


def test_fields_that_can_be_null_are_documented_as_nullable(openapi, admin_client):
    schemas = openapi["components"]["schemas"]
    assert schemas["AreaFeature"]["properties"]["properties"]["properties"]["parent_code"]["nullable"] is True
    assert schemas["TicketDetail"]["properties"]["repeat_of"]["nullable"] is True
    city = admin_client.get("/api/grid/areas/", {"level": "city", "simplify": 0.01}).json()["features"][0]
    assert city["properties"]["parent_code"] is None


def test_every_operation_documents_the_errors_drf_gives_it(openapi):
    """403 when it needs a login, 400 when it takes input, 404 with path parameters, 413/415 with a body;
    each with a JSON body."""
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            params = op.get("parameters", [])
            if {} not in op.get("security", [{}]):
                assert "403" in codes, (method, path)
            if "requestBody" in op:
                assert {"400", "413", "415"} <= codes, (method, path)
            if any(p["in"] == "query" for p in params):
                assert "400" in codes, (method, path)
            if any(p["in"] == "path" for p in params):
                assert "404" in codes, (method, path)
            for code, response in op["responses"].items():
                if code.startswith("4"):
                    assert "application/json" in response["content"], (method, path, code)
