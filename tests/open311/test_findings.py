"""Issue 18's Open311 findings, one regression test each: what a real client (open311 1.1, three 0.8,
georeport 0.3.1) and an outside probe met, and what they meet now.

Every error under /open311/v2/ is the spec's list, [{"code", "description"}] or <errors><error>, in the
format of the path; the caller's words reach only the client that filed them, a public request's
redacted, the others as summary fields (open311.rows)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client

from dispatch.models import Ticket
from open311 import views
from open311.models import Open311Key
from tests.helpers import make_ticket
from tests.open311.test_views import BASE, form

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(db):
    return Open311Key.objects.create(name="平顶山便民APP", channel="app")


@pytest.fixture
def partner(db):
    """A partner that registers its users by real name itself and holds their phones [IN-2]."""
    return Open311Key.objects.create(
        name="豫事办",
        channel="app",
        caller_phone_required=False,
        real_name_duty="豫事办实名注册，来电人姓名电话由其运营方保存，回访经其平台转达（协议2026-031号）",
    )


def spec_error(resp, code: int) -> str:
    """The one error of a spec error answer (JSON or XML by its content type); its description."""
    assert resp.status_code == code, resp.content[:300]
    if resp["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(resp.content)
        assert root.tag == "errors" and [e.tag for e in root] == ["error"]
        assert root.find("error/code").text == str(code)
        description = root.find("error/description").text
    else:
        assert resp["Content-Type"].startswith("application/json")
        [err] = json.loads(resp.content)
        assert set(err) == {"code", "description"} and err["code"] == code
        description = err["description"]
    assert description and "ErrorDetail" not in description and "Traceback" not in description
    return description


# -- api_key in the query string (open311 1.1, three 0.8) ------------------------------------------


def test_the_api_key_in_the_query_string_is_accepted(client, key):
    body = form(key)
    body.pop("api_key")
    resp = client.post(f"{BASE}/requests.json?api_key={key.key}", body)
    assert resp.status_code == 200, resp.content  # was 403: only the body was read
    assert Ticket.objects.get(number=resp.json()[0]["service_request_id"]).channel == "app"
    assert spec_error(client.post(f"{BASE}/requests.json?api_key=wrong", body), 403)


# -- phone optional when the partner holds the real name [IN-2] ------------------------------------


def test_a_partner_that_holds_the_real_name_may_leave_the_phone_out_IN_2(client, key, partner):
    resp = client.post(f"{BASE}/requests.json", form(partner, phone=None))
    assert resp.status_code == 200, resp.content  # was 400 "phone: The caller's phone is required"
    ticket = Ticket.objects.get(number=resp.json()[0]["service_request_id"])
    assert ticket.caller_phone == ""
    assert ticket.extra["real_name_held_by"].startswith("豫事办: 豫事办实名注册")
    # a phone it does send is still checked, and a key without the duty still needs one
    assert "phone" in spec_error(client.post(f"{BASE}/requests.json", form(partner, phone="call me")), 400)
    assert "phone" in spec_error(client.post(f"{BASE}/requests.json", form(key, phone=None)), 400)
    with_phone = client.post(f"{BASE}/requests.json", form(partner, description="长青社区路灯不亮了三天"))
    assert "real_name_held_by" not in Ticket.objects.get(number=with_phone.json()[0]["service_request_id"]).extra


def test_a_key_without_the_phone_duty_must_say_who_holds_the_real_name():
    with pytest.raises(ValidationError, match="real_name_duty"):
        Open311Key(name="x", channel="app", caller_phone_required=False).full_clean()


# -- every error in the spec's format and the request's format --------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["nothing", "requests/a/b", "services/0101/extra", "v3/requests"])
def test_an_unknown_path_is_a_404_error_list(client, path, fmt):
    assert path in spec_error(client.get(f"{BASE}/{path}.{fmt}"), 404)
    assert spec_error(client.post(f"{BASE}/{path}.{fmt}", {"a": "b"}), 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_method_is_a_405_error_list_not_a_csrf_page(fmt):
    client = Client(enforce_csrf_checks=True)  # what a real client meets: no CSRF cookie, ever
    resp = client.post(f"{BASE}/services.{fmt}", {"service_code": "0101"})
    assert "POST" in spec_error(resp, 405) and resp["Allow"] == "GET"  # was an HTML CSRF 403
    resp = client.put(f"{BASE}/requests.{fmt}")
    assert spec_error(resp, 405) and resp["Allow"] == "GET, POST"
    assert spec_error(client.delete(f"{BASE}/requests/PDS-20260101-000001.{fmt}"), 405)
    # a method named like one of the view's own attributes is no way in (dispatch, setup …)
    assert spec_error(client.generic("DISPATCH", f"{BASE}/services.{fmt}"), 405)
    assert spec_error(client.generic("SETUP", f"{BASE}/services.{fmt}"), 405)
    options = client.options(f"{BASE}/requests.{fmt}")
    assert options.status_code == 204 and options["Allow"] == "GET, POST, OPTIONS"


def test_a_post_without_a_csrf_token_reaches_the_api_key_check(key):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"{BASE}/requests.json", form(key)).status_code == 200
    assert spec_error(client.post(f"{BASE}/requests.xml", form(None)), 403)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_form_with_too_many_fields_or_too_large_is_an_error_list(client, key, settings, fmt):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    many = {**form(key), **{f"attribute[x{i}]": "1" for i in range(30)}}
    assert "too many fields" in spec_error(client.post(f"{BASE}/requests.{fmt}", many), 400)
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    assert "too large" in spec_error(client.post(f"{BASE}/requests.{fmt}", form(key, description="漏水" * 2000)), 413)
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_idempotency_conflict_is_a_409_error_list(client, key, fmt):
    first = client.post(f"{BASE}/requests.{fmt}", form(key), HTTP_IDEMPOTENCY_KEY="app-req-7")
    assert first.status_code == 200
    other = form(key, description="长青社区路灯不亮了三天")
    resp = client.post(f"{BASE}/requests.{fmt}", other, HTTP_IDEMPOTENCY_KEY="app-req-7")
    assert "幂等键" in spec_error(resp, 409)  # was an HTML 500
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bug_is_a_500_error_list_and_a_database_outage_a_503(monkeypatch, fmt):
    client = Client(raise_request_exception=False)

    def broken(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.ServicesView, "get", broken)
    resp = client.get(f"{BASE}/services.{fmt}")
    assert "secret internals" not in spec_error(resp, 500)

    def outage(self, request):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views.ServicesView, "get", outage)
    resp = client.get(f"{BASE}/services.{fmt}")
    assert spec_error(resp, 503) and resp["Retry-After"] == "5"


def test_a_validation_error_is_plain_text_never_a_python_repr(client, key):
    description = spec_error(client.post(f"{BASE}/requests.json", form(key, media_url="not a url")), 400)
    assert description == "media_url: 请输入合法的URL。"  # was "media_url: {0: [ErrorDetail(string=…)]}"
    both = spec_error(client.post(f"{BASE}/requests.xml", form(key, phone="x", lat="north")), 400)
    assert "phone:" in both and "lat:" in both and "{" not in both and "[" not in both


# -- paging: a client can read everything ------------------------------------------------------------


def ids(resp) -> list[str]:
    return [r["service_request_id"] for r in resp.json()]


def test_requests_page_in_a_fixed_order_and_say_how_many_there_are(client):
    made = [make_ticket(description=f"长青社区下水道堵塞第{i}处") for i in range(5)]
    newest_first = [t.number for t in sorted(made, key=lambda t: (t.received_at, t.id), reverse=True)]
    first = client.get(f"{BASE}/requests.json", {"page_size": 2})
    assert ids(first) == newest_first[:2] and first["X-Total-Count"] == "5"
    seen, resp = [], first
    while True:
        seen += ids(resp)
        links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', resp.get("Link", "")))
        if "next" not in links:
            break
        make_ticket(description="翻页期间新来的工单，不应挤进后面的页")  # arrives while the client pages
        resp = client.get(links["next"].replace("http://testserver", ""))
    assert seen == newest_first  # every request once, in order, none pushed from page to page
    assert ids(client.get(f"{BASE}/requests.json", {"page_size": 2, "page": 9})) == []


def test_without_paging_the_cap_is_not_silent(client, monkeypatch):
    monkeypatch.setattr(views, "MAX_PAGE_SIZE", 3)
    for i in range(5):
        make_ticket(description=f"长青社区下水道堵塞第{i}处")
    resp = client.get(f"{BASE}/requests.json")
    assert len(resp.json()) == 3 and resp["X-Total-Count"] == "5" and 'rel="next"' in resp["Link"]
    xml = client.get(f"{BASE}/requests.xml")
    assert len(ET.fromstring(xml.content).findall("request")) == 3 and xml["X-Total-Count"] == "5"


@pytest.mark.parametrize(
    "params, words",
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"start_date": "2026-13-45T25:00:00Z"}, "start_date"),
        ({"service_request_id": ",".join(f"PDS-20260101-{i:06d}" for i in range(1001))}, "service_request_id"),
    ],
)
def test_bad_paging_and_window_parameters_are_400(client, params, words):
    assert words in spec_error(client.get(f"{BASE}/requests.json", params), 400)


# -- who sees what -----------------------------------------------------------------------------------

PRIVATE_TEXT = "我是3号楼2单元501室的张先生，电话13912345678，楼下下水道堵了"


def test_an_anonymous_reader_sees_public_requests_redacted_and_the_rest_as_summary(client):
    private = make_ticket(description=PRIVATE_TEXT, address="建设路12号3号楼2单元501室")
    public = make_ticket(description=PRIVATE_TEXT, address="建设路12号3号楼2单元501室")
    Ticket.objects.filter(pk=public.pk).update(is_public=True)
    public.refresh_from_db()
    body = client.get(f"{BASE}/requests.json").content.decode()
    assert "13912345678" not in body and "501" not in body and "张先生" not in body  # was the full text
    rows = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").json()}
    shown = rows[public.number]
    assert (
        "[电话]" in shown["description"] and "某先生" in shown["description"] and "下水道堵了" in shown["description"]
    )
    assert shown["lat"] == round(public.point.y, 3) and shown["long"] == round(public.point.x, 3)
    summary = rows[private.number]
    assert summary["description"] == summary["address"] == "" and summary["lat"] is None and summary["long"] is None
    assert summary["status"] == "open" and summary["service_code"] == "0101" and summary["agency_responsible"]
    assert summary["requested_datetime"] and summary["media_url"] is None
    [one] = client.get(f"{BASE}/requests/{private.number}.json").json()
    assert one == summary
    xml = client.get(f"{BASE}/requests/{public.number}.xml").content.decode()
    assert "13912345678" not in xml and "[电话]" in xml


def test_a_client_sees_its_own_requests_in_full_and_no_one_elses(client, key, partner):
    resp = client.post(f"{BASE}/requests.json", form(key, description=PRIVATE_TEXT))
    number = resp.json()[0]["service_request_id"]
    [own] = client.get(f"{BASE}/requests/{number}.json", {"api_key": key.key}).json()
    assert (
        own["description"] == PRIVATE_TEXT
        and own["lat"]
        and own["address"] == "新华区 / 光明路街道 / 长青社区居民委员会"
    )
    listed = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json", {"api_key": key.key}).json()}
    assert listed[number]["description"] == PRIVATE_TEXT
    [other] = client.get(f"{BASE}/requests/{number}.json", {"api_key": partner.key}).json()
    assert other["description"] == "" and other["lat"] is None
    [anonymous] = client.get(f"{BASE}/requests/{number}.json").json()
    assert anonymous == other
    assert spec_error(client.get(f"{BASE}/requests.json", {"api_key": "stolen?"}), 403)
    key.is_active = False
    key.save()
    assert spec_error(client.get(f"{BASE}/requests/{number}.xml", {"api_key": key.key}), 403)


def test_a_client_reads_its_own_requests_across_pages(client, key):
    for i in range(3):
        client.post(f"{BASE}/requests.json", form(key, description=f"长青社区19号楼暖气管道漏水第{i}处"))
    make_ticket()  # someone else's, by phone
    pages = [client.get(f"{BASE}/requests.json", {"api_key": key.key, "page_size": 2, "page": p}) for p in (1, 2)]
    rows = [r for page in pages for r in page.json()]
    assert len(rows) == 4 and pages[0]["X-Total-Count"] == "4"
    assert sum(1 for r in rows if r["description"].startswith("长青社区19号楼")) == 3


def test_the_next_page_keeps_the_window_to_the_microsecond(client):
    """The Link's window is the first page's, exactly: cut to the second, it lost what came in that second."""
    import datetime as dt

    made = [make_ticket(description=f"长青社区下水道堵塞第{i}处") for i in range(3)]
    at = made[0].received_at.replace(microsecond=500_000)
    Ticket.objects.filter(pk__in=[t.pk for t in made]).update(received_at=at)
    end = (at + dt.timedelta(microseconds=300_000)).isoformat()
    first = client.get(f"{BASE}/requests.json", {"page_size": 2, "end_date": end})
    assert first["X-Total-Count"] == "3" and len(first.json()) == 2
    [next_url] = re.findall(r'<([^>]+)>; rel="next"', first["Link"])
    second = client.get(next_url.replace("http://testserver", ""))
    assert len(second.json()) == 1 and second["X-Total-Count"] == "3"
    assert {r["service_request_id"] for r in first.json() + second.json()} == {t.number for t in made}
