"""Reporting from patrol over HTTP: the plain form and the phone's outbox (JSON), idempotent on the phone's key."""

import pytest

from dispatch.models import Status, Ticket
from tests.dispatch.fieldwork.images import HTML_AS_JPEG, oversized_jpeg, phone_photo, upload
from tests.dispatch.fieldwork.test_delegation import REPLY
from tests.helpers import CHANGQING, label

from .conftest import text

pytestmark = pytest.mark.django_db


def report(key="k-1", code=CHANGQING, **extra):
    lon, lat = label(code)
    return {
        "category": "0101",
        "description": "长青路12号门前雨水井堵塞，污水漫到人行道",
        "lon": lon,
        "lat": lat,
        "urgency": "general",
        "idempotency_key": key,
        **extra,
    }


def test_the_report_page_offers_the_categories_a_key_and_the_photo_limits(as_user):
    page = text(as_user("changqing_grid").get("/w/report/"))
    assert 'name="idempotency_key"' in page and 'value="0101"' in page and "下水道堵塞" in page
    assert 'data-max="6"' in page and 'data-max-mb="10"' in page
    assert 'data-community="410402002005"' in page and 'data-township="410402002"' in page


def test_a_report_from_the_form_is_routed_and_the_worker_sees_it_ORG_5(as_user):
    client = as_user("changqing_grid")
    response = client.post("/w/report/", report(photos=[phone_photo()]))
    ticket = Ticket.objects.get(idempotency_key__endswith=":k-1")
    assert response.status_code == 302 and response["Location"] == f"/w/t/{ticket.number}/"
    assert ticket.assignments.get(role="lead").office.name == "长青社区工作站"
    assert ticket.attachments.count() == 1
    page = text(client.get(response["Location"]))
    assert "长青社区工作站" in page


def test_the_outbox_resends_with_the_same_key_and_gets_the_same_ticket(as_user):
    """An offline report sent twice (the first answer was lost): 201, then 200 with the same ticket."""
    client = as_user("changqing_grid")
    first = client.post(
        "/w/report/",
        report(key="ignored", photos=[phone_photo()]),
        HTTP_ACCEPT="application/json",
        HTTP_IDEMPOTENCY_KEY="phone-key-1",
    )
    again = client.post(
        "/w/report/",
        report(key="ignored", photos=[phone_photo()]),
        HTTP_ACCEPT="application/json",
        HTTP_IDEMPOTENCY_KEY="phone-key-1",
    )
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"] and again.json()["replayed"] is True
    assert first.json()["lead"] == "长青社区工作站"
    ticket = Ticket.objects.get(number=first.json()["number"])
    assert Ticket.objects.filter(created_by=ticket.created_by).count() == 1 and ticket.attachments.count() == 1


def test_a_report_settled_on_the_spot_is_replied_at_once(as_user):
    data = report(key="settle", settle="on", **REPLY)
    body = as_user("changqing_grid").post("/w/report/", data, HTTP_ACCEPT="application/json").json()
    assert body["settled"] is True and body["status"] == Status.REPLIED


def test_errors_name_their_fields_and_the_form_keeps_what_was_typed(as_user):
    client = as_user("changqing_grid")
    bad = report(key="bad", category="", lon="", lat="", description="堵了啊啊啊 长青路")
    answer = client.post("/w/report/", bad, HTTP_ACCEPT="application/json")
    assert answer.status_code == 400 and set(answer.json()["errors"]) == {"category", "location"}
    page = client.post("/w/report/", {**bad, "address": "", "settle": "on", "facts": "井盖旁边"})
    assert page.status_code == 400
    html = text(page)
    assert "堵了啊啊啊 长青路" in html and "井盖旁边" in html and 'value="bad"' in html
    assert not Ticket.objects.filter(channel="grid_worker").exists()


@pytest.mark.parametrize(
    "name, data, words",
    [("photo.jpg", HTML_AS_JPEG, "不是照片"), ("huge.jpg", oversized_jpeg(), "不能超过10 MB")],
    ids=["renamed-html", "oversized"],
)
def test_a_renamed_html_file_or_an_oversized_image_is_refused_and_nothing_is_made(as_user, name, data, words):
    client = as_user("changqing_grid")
    answer = client.post("/w/report/", report(photos=[upload(name, data)]), HTTP_ACCEPT="application/json")
    assert answer.status_code == 400
    message = " ".join(answer.json()["errors"]["photos"])
    assert name in message and words in message
    page = client.post("/w/report/", report(photos=[upload(name, data)]))
    assert page.status_code == 400 and words in text(page)
    assert not Ticket.objects.filter(channel="grid_worker").exists()


def test_seven_photos_are_refused(as_user):
    answer = as_user("changqing_grid").post(
        "/w/report/", report(photos=[phone_photo(f"p{i}.jpg") for i in range(7)]), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 400 and "最多6张" in " ".join(answer.json()["errors"]["photos"])


def test_a_department_cannot_report_from_patrol(as_user):
    answer = as_user("heating_handler").post("/w/report/", report(), HTTP_ACCEPT="application/json")
    assert answer.status_code == 403


def test_where_a_report_would_go(as_user):
    lon, lat = label(CHANGQING)
    client = as_user("changqing_grid")
    body = client.get("/w/report/where", {"lon": lon, "lat": lat, "category": "0101"}).json()
    assert body["community"] == "长青社区居民委员会" and body["lead"] == "长青社区工作站" and body["mine"] is True
    body = client.get("/w/report/where", {"lon": lon, "lat": lat, "category": "0701"}).json()
    assert body["lead"] == "市热力公司" and body["mine"] is False
    assert client.get("/w/report/where", {"lon": "abc", "lat": "1"}).status_code == 400
    assert client.get("/w/report/where", {"lon": "500", "lat": "1"}).status_code == 400
    assert client.get("/w/report/where").status_code == 400
    assert client.get("/w/report/where", {"lon": 116.4, "lat": 39.9}).json()["found"] is False
    typed = client.get("/w/report/where", {"address": "新华区新建路与长青路交叉口东北角", "category": "0101"}).json()
    assert typed["found"] is True and "光明路街道" in typed["place"] and typed["lead"].endswith("社区工作站")


def test_the_service_worker_and_manifest_are_served_for_the_workstation_pages(client):
    sw = client.get("/w/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("text/javascript")
    assert '"/w/report/"' in sw.content.decode() and "ws-outbox" in sw.content.decode()
    manifest = client.get("/w/manifest.webmanifest").json()
    assert manifest["start_url"] == "/w/" and manifest["display"] == "standalone"
