"""Open311 GeoReport v2 at /open311/v2/: JSON and XML, api_key for POST, errors as the spec says."""

import xml.etree.ElementTree as ET

import pytest

from dispatch.models import Category, Status, Ticket
from open311.models import Open311Key
from tests.helpers import CHANGQING, closed_water_ticket, label, make_ticket

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def key(db):
    return Open311Key.objects.create(name="平顶山便民APP", channel="app")


def form(key, **overrides):
    lon, lat = label(CHANGQING)
    body = {
        "api_key": key.key if key else "",
        "service_code": "0701",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": "长青社区19号楼暖气管道漏水，楼道积水",
        "first_name": "芳",
        "last_name": "王",
        "phone": "13812341234",
        "attribute[urgency]": "urgent",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_discovery_in_json_and_xml(client):
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert body["endpoints"][0]["url"].endswith("/open311/v2/")
    xml = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/specification").text.startswith("http://wiki")
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_services_are_the_leaf_categories(client):
    services = client.get(f"{BASE}/services.json").json()
    assert len(services) == Category.objects.filter(parent__isnull=False, is_active=True).count() >= 40
    drain = next(s for s in services if s["service_code"] == "0101")
    assert drain["service_name"] == "下水道堵塞" and drain["group"] == "城市管理" and drain["metadata"] is True
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == len(services)
    assert client.get(f"{BASE}/services.xml")["Content-Type"].startswith("text/xml")


def test_service_definition_and_unknown_service(client):
    body = client.get(f"{BASE}/services/0101.json").json()
    assert body["service_code"] == "0101"
    assert {a["code"] for a in body["attributes"]} == {"urgency", "kind"}
    xml = ET.fromstring(client.get(f"{BASE}/services/0101.xml").content)
    assert xml.tag == "service_definition" and xml.find("attributes/attribute/values/value/key") is not None
    resp = client.get(f"{BASE}/services/9999.json")
    assert resp.status_code == 404 and resp.json()[0]["code"] == 404 and "9999" in resp.json()[0]["description"]
    err = ET.fromstring(client.get(f"{BASE}/services/9999.xml").content)
    assert err.tag == "errors" and err.find("error/code").text == "404"


def test_post_a_request_routes_it_like_any_other_ticket(client, key):
    resp = client.post(f"{BASE}/requests.json", form(key))
    assert resp.status_code == 200, resp.content
    [row] = resp.json()
    ticket = Ticket.objects.get(number=row["service_request_id"])
    assert row["token"] == str(ticket.token) and "办结时限" in row["service_notice"]
    assert ticket.channel == "app" and ticket.urgency == "urgent" and ticket.caller_name == "王芳"
    assert ticket.status == Status.DISPATCHED
    assert ticket.assignments.get(role="lead").office.code == "DEPT-heating"
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_post_in_xml(client, key):
    resp = client.post(f"{BASE}/requests.xml", form(key))
    xml = ET.fromstring(resp.content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text.startswith("PDS-")


@pytest.mark.parametrize(
    "overrides, code, words",
    [
        ({"api_key": ""}, 403, "api_key"),
        ({"api_key": "wrong"}, 403, "api_key"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "9999"}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"lat": "north"}, 400, "lat"),
        ({"phone": ""}, 400, "phone"),
        ({"description": ""}, 400, "description"),
        ({"attribute[urgency]": "soon"}, 400, "attribute[urgency]"),
        ({"media_url": "not a url"}, 400, "media_url"),
        ({"jurisdiction_id": "beijing"}, 404, "jurisdiction_id"),
    ],
)
def test_post_errors_follow_the_spec(client, key, overrides, code, words):
    resp = client.post(f"{BASE}/requests.json", form(key, **overrides))
    assert resp.status_code == code
    [err] = resp.json()
    assert err["code"] == code and words in err["description"]
    assert Ticket.objects.count() == 0


def test_a_disabled_key_is_refused(client, key):
    key.is_active = False
    key.save()
    assert client.post(f"{BASE}/requests.json", form(key)).status_code == 403


def test_an_emergency_gets_the_referral_at_once_and_waits_for_a_person_IN_4(client, key):
    """[IN-4][CT-2] through Open311 too: the app shows the referral (call 119) at once, and the request
    waits in the manual queue for a person to confirm the refusal and transfer it, not dropped."""
    resp = client.post(f"{BASE}/requests.json", form(key, description="19号楼着火了，浓烟很大"))
    assert resp.status_code == 200  # Open311 answers a created request with 200
    assert "119" in resp.json()[0]["service_notice"]
    t = Ticket.objects.get()
    assert t.status == Status.PENDING_DISPATCH and t.extra["suggested_refusal"]["reason"] == "emergency"


def test_post_is_idempotent_on_the_header(client, key):
    first = client.post(f"{BASE}/requests.json", form(key), HTTP_IDEMPOTENCY_KEY="app-req-1").json()
    again = client.post(f"{BASE}/requests.json", form(key), HTTP_IDEMPOTENCY_KEY="app-req-1").json()
    assert first == again and Ticket.objects.count() == 1


def test_get_requests_with_filters_and_never_the_caller(client, key):
    drain = make_ticket(category="0101")
    heating = make_ticket(category="0701", description="暖气漏水")
    Ticket.objects.filter(pk=heating.pk).update(is_public=True)  # the caller chose public: text and place shown
    refused = make_ticket(description="着火了", refuse_reason="emergency")
    rows = client.get(f"{BASE}/requests.json").json()
    assert {r["service_request_id"] for r in rows} == {drain.number, heating.number}  # refused ones are not published
    assert refused.number not in client.get(f"{BASE}/requests.json").content.decode()
    row = next(r for r in rows if r["service_request_id"] == heating.number)
    assert row["agency_responsible"] == "市热力公司" and row["status"] == "open"
    assert row["expected_datetime"] and row["lat"] and row["long"] and row["service_code"] == "0701"
    assert "13812341234" not in client.get(f"{BASE}/requests.json").content.decode()
    assert "王芳" not in client.get(f"{BASE}/requests.xml").content.decode()
    by_code = client.get(f"{BASE}/requests.json", {"service_code": "0101"}).json()
    assert [r["service_request_id"] for r in by_code] == [drain.number]
    assert client.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    assert len(client.get(f"{BASE}/requests.json", {"status": "open"}).json()) == 2
    ids = client.get(f"{BASE}/requests.json", {"service_request_id": f"{drain.number},{heating.number}"}).json()
    assert len(ids) == 2
    assert (
        client.get(
            f"{BASE}/requests.json", {"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-02-01T00:00:00Z"}
        ).json()
        == []
    )


@pytest.mark.parametrize(
    "params",
    [{"start_date": "last week"}, {"status": "pending"}, {"start_date": "2026-02-01", "end_date": "2026-01-01"}],
)
def test_get_requests_bad_parameters_are_400(client, params):
    resp = client.get(f"{BASE}/requests.json", params)
    assert resp.status_code == 400 and resp.json()[0]["code"] == 400


def test_one_request_and_a_token(client, key):
    [row] = client.post(f"{BASE}/requests.json", form(key)).json()
    [one] = client.get(f"{BASE}/requests/{row['service_request_id']}.json").json()
    assert one["service_request_id"] == row["service_request_id"] and one["status"] == "open"
    xml = ET.fromstring(client.get(f"{BASE}/requests/{row['service_request_id']}.xml").content)
    assert xml.find("request/service_request_id").text == row["service_request_id"]
    [tok] = client.get(f"{BASE}/tokens/{row['token']}.json").json()
    assert tok == {"service_request_id": row["service_request_id"], "token": row["token"]}
    assert client.get(f"{BASE}/requests/PDS-20000101-000000.json").status_code == 404
    assert client.get(f"{BASE}/tokens/not-a-token.json").status_code == 404


def test_unknown_format_is_a_404_error_list(client):
    resp = client.get(f"{BASE}/services.csv")
    assert resp.status_code == 404 and resp.json()[0]["code"] == 404


def test_a_closed_request_shows_closed_with_the_result_as_status_notes(client, users):
    t = closed_water_ticket(users)
    Ticket.objects.filter(pk=t.pk).update(is_public=True)
    [row] = client.get(f"{BASE}/requests/{t.number}.json").json()
    assert row["status"] == "closed" and row["status_notes"].startswith("已于当日18时恢复供水")
    assert row["agency_responsible"] == "市自来水公司"
