"""Real Open311 clients from PyPI against a live server (a daphne process on the test database):
`georeport` 0.3.1 (reads: services, one request, the list, in JSON and XML) and `three` 0.8.0 (posts
and pages; written for Python 2, so `itertools.ifilter` is given to it before it is imported, and its
endpoint is our base URL). Issue 18: what these clients met before — 403 for a key in the query string,
400 for a missing phone, a list capped at 1,000 with no way on — each asserted away here."""

from __future__ import annotations

import itertools
import sys
import uuid

import pytest
import requests
from django.db import connection

from dispatch.models import Ticket
from open311.models import Open311Key
from tests.helpers import CHANGQING, label, make_ticket
from tests.servers import database_url, free_port, process, run_committed

itertools.ifilter = filter  # three 0.8.0 does `from itertools import ifilter` (Python 2)

import georeport  # noqa: E402
import three  # noqa: E402

pytestmark = pytest.mark.django_db
JURISDICTION = "410400"


@pytest.fixture
def server(django_db_blocker):
    """A daphne process serving the committed test database; what it and the test committed is removed after."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        db_url = database_url()
    run = uuid.uuid4().hex[:8]
    made: dict = {}

    def setup():
        made["app"] = Open311Key.objects.create(name=f"便民APP {run}", channel="app")
        made["partner"] = Open311Key.objects.create(
            name=f"豫事办 {run}",
            channel="app",
            caller_phone_required=False,
            real_name_duty="豫事办实名注册，来电人姓名电话由其保存，回访经其平台转达",
        )
        made["tickets"] = [make_ticket(description=f"长青社区下水道堵塞第{i}处 {run}").number for i in range(5)]

    run_committed(setup, django_db_blocker)
    port = free_port()
    env = {"DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "DB_POOL": "0"}
    daphne = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    try:
        with process(daphne, port, "daphne-open311-clients", env):
            yield {"base": f"http://127.0.0.1:{port}/open311/v2/", **made}
    finally:

        def cleanup():
            clients = [made[k].client for k in ("app", "partner") if k in made]
            Ticket.objects.filter(number__in=made.get("tickets", [])).delete()
            Ticket.objects.filter(extra__open311_client__in=clients).delete()
            Open311Key.objects.filter(pk__in=[made[k].pk for k in ("app", "partner") if k in made]).delete()

        run_committed(cleanup, django_db_blocker)


def a_request(**extra) -> dict:
    lon, lat = label(CHANGQING)
    return {
        "address": "新华区光明路长青社区19号楼",
        "description": "长青社区19号楼暖气管道漏水，楼道积水",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "name": "芳 王",
        **extra,
    }


def test_three_posts_without_a_phone_and_with_the_key_in_the_query_string(server):
    # three sends the key in the form; a partner that holds the real name may leave the phone out [IN-2]
    client = three.Three(server["base"], format="json", jurisdiction=JURISDICTION, api_key=server["partner"].key)
    [posted] = client.post("0701", **a_request())
    assert client.post_response.status_code == 200, posted
    assert posted["service_request_id"].startswith("PDS-") and posted["token"]
    # the key in the query string (as open311 1.1 sends it), the form's api_key left empty
    by_query = three.Three(server["base"], format="json", jurisdiction=JURISDICTION)
    by_query.session.params = {"api_key": server["partner"].key}
    by_query.post("0701", **a_request(description="长青社区20号楼暖气不热，室温只有12度"))
    assert by_query.post_response.status_code == 200, by_query.post_response.text
    assert by_query.post_response.json()[0]["service_request_id"].startswith("PDS-")
    # a key that needs the phone gets the spec's error, as plain text
    strict = three.Three(server["base"], format="json", jurisdiction=JURISDICTION, api_key=server["app"].key)
    [err] = strict.post("0701", **a_request())
    assert strict.post_response.status_code == 400 and err["code"] == 400 and err["description"].startswith("phone:")

    # reading it back: its own client sees it in full, anyone else as summary fields
    [own] = client.request(posted["service_request_id"], api_key=server["partner"].key)
    assert own["description"] == "长青社区19号楼暖气管道漏水，楼道积水" and own["service_code"] == "0701"
    [anonymous] = client.request(posted["service_request_id"])
    assert anonymous["status"] == "open" and anonymous["description"] == "" and anonymous["lat"] is None
    [tok] = client.token(posted["token"])
    assert tok["service_request_id"] == posted["service_request_id"]


def test_georeport_reads_the_services_and_a_request_in_json_and_xml(server):
    client = three.Three(server["base"], format="json", jurisdiction=JURISDICTION, api_key=server["partner"].key)
    [posted] = client.post("0701", **a_request())
    number = posted["service_request_id"]
    for fmt in ("json", "xml"):
        reader = georeport.GeoReport(server["base"], jurisdiction=JURISDICTION, output_format=fmt)
        services = reader.get_service_list()
        assert len(services) >= 40 and any(s["service_code"] == "0101" for s in services)
        definition = reader.get_service_definition("0101")
        assert definition["service_code"] == "0101"
        one = reader.get_service_request(number)
        assert one["service_request_id"] == number and one["status"] == "open" and one["service_code"] == "0701"
        listed = reader.get_service_requests(service_request_id=number)
        listed = listed if isinstance(listed, list) else [listed]  # xmltodict gives one row as a dict
        assert [r["service_request_id"] for r in listed] == [number]
    # an empty window is an empty list, not an error (georeport's XML reader cannot take an empty list itself)
    reader = georeport.GeoReport(server["base"], jurisdiction=JURISDICTION)
    assert reader.get_service_requests(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == []
    # an error, in the spec's format, raised by the client as an HTTP error
    with pytest.raises(requests.HTTPError) as refused:
        georeport.GeoReport(server["base"], jurisdiction="beijing").get_service_list()
    assert refused.value.response.status_code == 404
    assert refused.value.response.json()[0]["description"].startswith("jurisdiction_id beijing not found")


def test_three_pages_through_every_request(server):
    client = three.Three(server["base"], format="json", jurisdiction=JURISDICTION)
    seen: list[str] = []
    page = 1
    while True:
        rows = client.requests(count=2, page=page)  # three sends count as page_size
        assert client._request.status_code == 200, rows
        total = int(client._request.headers["X-Total-Count"])
        seen += [r["service_request_id"] for r in rows]
        if 'rel="next"' not in client._request.headers.get("Link", ""):
            break
        page += 1
    assert len(seen) == len(set(seen)) == total >= 5 and page == (total + 1) // 2
    assert set(server["tickets"]) <= set(seen)
    # an error from three's point of view: a page size past the maximum
    [err] = client.requests(count=5000)
    assert client._request.status_code == 400 and "page_size" in err["description"]
