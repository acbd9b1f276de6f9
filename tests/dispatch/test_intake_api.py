"""POST /api/tickets/: validation, idempotency, refusals [IN-4], knowledge-base answers [IN-5]."""

import pytest

from dispatch.models import Channel, KnowledgeArticle, Status, Ticket
from tests.helpers import CHANGQING, label

pytestmark = pytest.mark.django_db


def payload(**overrides):
    lon, lat = label(CHANGQING)
    body = {
        "channel": "phone",
        "kind": "complaint",
        "urgency": "general",
        "category": "0101",
        "description": "长青社区19号楼下水道堵了，污水漫到楼道里",
        "address": "光明路街道长青社区19号楼",
        "lon": lon,
        "lat": lat,
        "caller_name": "王芳",
        "caller_phone": "13812341234",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def post(client, body, **headers):
    return client.post("/api/tickets/", body, content_type="application/json", **headers)


def test_intake_routes_the_ticket_and_answers_with_number_deadlines_and_history(as_user):
    """[AS-1][SLA-1] an accepted ticket comes back routed, with its deadlines and time left."""
    resp = post(as_user("city_dispatcher"), payload())
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["number"].startswith("PDS-") and len(body["number"].split("-")[1]) == 8
    assert body["status"] == "dispatched"
    assert body["lead"]["code"] == f"WS-{CHANGQING}"
    assert body["assignments"][0]["why"]
    assert [e["action"] for e in body["history"]] == ["accept_intake"]
    assert body["resolve_by"] and body["sign_by"] and body["reply_by"]
    assert body["time_left"]["clock"] == "resolve" and body["time_left"]["state"] == "ok"
    assert body["time_left"]["seconds_left"] > 4 * 86400
    assert resp["Location"] == f"/api/tickets/{body['number']}/"


@pytest.mark.parametrize("channel", [c.value for c in Channel])
def test_every_channel_is_accepted_IN_1(as_user, channel):
    """[IN-1] 7×24 intake from every channel, each by those who file through it (a patrol report by a grid worker)."""
    filer = "changqing_grid" if channel == Channel.GRID_WORKER else "city_dispatcher"
    resp = post(as_user(filer), payload(channel=channel))
    assert resp.status_code == 201, resp.json()
    assert Ticket.objects.get(number=resp.json()["number"]).channel == channel


@pytest.mark.parametrize("kind", ["help", "complaint", "report", "suggestion", "praise"])
def test_kind_nature_and_urgency_are_recorded_IN_3(as_user, kind):
    """[IN-3] kinds, nature classes A–D and urgency general/urgent/extra-urgent."""
    resp = post(as_user("city_dispatcher"), payload(kind=kind, nature="C", urgency="extra_urgent"))
    assert resp.status_code == 201
    t = Ticket.objects.get(number=resp.json()["number"])
    assert (t.kind, t.nature, t.urgency) == (kind, "C", "extra_urgent")
    assert (t.resolve_by - t.received_at).total_seconds() == 2 * 3600  # [SLA-1] extra-urgent: 2 h


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"channel": ...}, "channel"),
        ({"channel": "fax"}, "channel"),
        ({"kind": "gossip"}, "kind"),
        ({"nature": "E"}, "nature"),
        ({"urgency": "whenever"}, "urgency"),
        ({"description": ""}, "description"),
        ({"description": "很" * 4001}, "description"),
        ({"category": "9999"}, "category"),
        ({"lat": ...}, "lat"),
        ({"lon": 200}, "lon"),
        ({"lon": True}, "lon"),
        ({"lat": "NaN"}, "lat"),
        ({"caller_phone": "call me maybe"}, "caller_phone"),
        ({"caller_phone": ""}, "caller_phone"),
        ({"caller_name": "  "}, "caller_name"),
        ({"caller_email": "not-an-email"}, "caller_email"),
        ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"attachments": ["javascript:alert(1)"]}, "attachments"),
        ({"refuse_reason": "boring"}, "refuse_reason"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(as_user, overrides, field):
    resp = post(as_user("city_dispatcher"), payload(**overrides))
    assert resp.status_code == 400
    assert field in resp.json(), resp.json()
    assert Ticket.objects.count() == 0


def test_caller_name_and_phone_are_required_except_for_a_grid_worker_report_IN_2(as_user):
    """[IN-2] real-name registration of the caller; a grid worker reports as themself."""
    resp = post(as_user("changqing_grid"), payload(channel="grid_worker", caller_name="", caller_phone=""))
    assert resp.status_code == 201


def test_malformed_json_is_a_400_not_a_500(as_user):
    resp = as_user("city_dispatcher").post("/api/tickets/", "{not json", content_type="application/json")
    assert resp.status_code == 400


def test_intake_needs_a_logged_in_user(client):
    assert post(client, payload()).status_code in (401, 403)
    assert Ticket.objects.count() == 0


def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(as_user):
    client = as_user("city_dispatcher")
    first = post(client, payload(), HTTP_IDEMPOTENCY_KEY="call-20261121-0001")
    again = post(client, payload(), HTTP_IDEMPOTENCY_KEY="call-20261121-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == again.json()["number"]
    assert Ticket.objects.count() == 1


def test_a_key_reused_for_a_different_request_is_a_409(as_user):
    client = as_user("city_dispatcher")
    post(client, payload(), HTTP_IDEMPOTENCY_KEY="k-1")
    resp = post(client, payload(description="另一件事：光明路路灯不亮已经一周了"), HTTP_IDEMPOTENCY_KEY="k-1")
    assert resp.status_code == 409 and resp.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1


def test_a_retry_with_the_same_external_id_returns_the_same_ticket(as_user):
    client = as_user("city_dispatcher")
    first = post(client, payload(channel="wechat", external_id="wx-778899"))
    again = post(client, payload(channel="wechat", external_id="wx-778899"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    # the same external id from another channel is another request
    assert post(client, payload(channel="weibo", external_id="wx-778899")).status_code == 201
    assert Ticket.objects.count() == 2


def test_an_overlong_idempotency_key_is_a_400(as_user):
    resp = post(as_user("city_dispatcher"), payload(), HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert resp.status_code == 400 and "Idempotency-Key" in resp.json()


@pytest.mark.parametrize(
    "description, reason, referral",
    [
        ("长青社区19号楼三楼着火了，浓烟很大", "emergency", "119"),
        ("邻居在楼道晕倒了，叫不醒", "emergency", "120"),
        ("楼下有人持刀抢劫", "emergency", "110"),
        ("这件事我已经起诉到法院了，法院已立案，想让政府干预", "legal_process", "诉讼"),
        ("我想查询他人的住址和电话", "secret_privacy", "隐私"),
        ("有事", "abuse_or_vague", "具体"),
    ],
)
def test_not_acceptable_requests_are_refused_with_reason_and_referral_and_recorded_IN_4(
    as_user, description, reason, referral
):
    """[IN-4] emergencies, legal process, privacy, vague content: 422 with the referral, and a record kept."""
    resp = post(as_user("city_dispatcher"), payload(description=description))
    assert resp.status_code == 422, resp.json()
    body = resp.json()
    assert body["code"] == "refused" and body["reason"] == reason and referral in body["referral"]
    record = Ticket.objects.get(number=body["ticket"])
    assert record.status == Status.REFUSED and record.refusal_reason == reason
    assert record.description == description and record.caller_phone == "13812341234"  # nothing entered is lost
    assert list(record.events.values_list("action", "to_status")) == [("refuse_intake", "refused")]
    assert record.assignments.count() == 0


def test_the_call_taker_can_refuse_explicitly_IN_4(as_user):
    """[IN-4] the call-taker decides a matter is already in arbitration."""
    resp = post(as_user("city_dispatcher"), payload(refuse_reason="legal_process"))
    assert resp.status_code == 422 and resp.json()["reason"] == "legal_process"


def test_a_point_outside_the_city_is_refused_as_outside_jurisdiction_IN_4(as_user):
    resp = post(as_user("city_dispatcher"), payload(lon=116.39, lat=39.9, address="北京市东城区"))
    assert resp.status_code == 422 and resp.json()["reason"] == "outside_jurisdiction"


def test_a_retried_refused_intake_stays_one_record(as_user):
    client = as_user("city_dispatcher")
    body = payload(description="三楼着火了快来人")
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="fire-1")
    again = post(client, body, HTTP_IDEMPOTENCY_KEY="fire-1")
    assert first.status_code == again.status_code == 422
    assert first.json()["ticket"] == again.json()["ticket"]
    assert Ticket.objects.filter(status=Status.REFUSED).count() == 1


def test_a_consultation_the_knowledge_base_answers_is_closed_at_intake_IN_5(as_user):
    """[IN-5] 'when does heating start' is answered from the knowledge base and closed at once."""
    resp = post(
        as_user("city_dispatcher"), payload(kind="consultation", category="", description="请问今年城区几号供暖？")
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "archived"
    assert "11月15日" in body["answer"]
    assert body["assignments"] == []
    assert [e["action"] for e in body["history"]] == ["answer_from_knowledge_base"]
    assert KnowledgeArticle.objects.get(question="城区什么时候开始供暖").uses == 1


def test_a_consultation_the_knowledge_base_cannot_answer_is_dispatched_IN_5(as_user):
    resp = post(
        as_user("city_dispatcher"),
        payload(kind="consultation", category="0801", description="咨询一下长青社区明天计划停水的具体时段"),
    )
    assert resp.status_code == 201 and resp.json()["status"] == "dispatched"


def test_an_article_added_in_admin_answers_the_next_call_IN_5(as_user):
    KnowledgeArticle.objects.create(
        question="犬类登记在哪里办理", answer="请到辖区派出所办理犬类登记。", keywords=["养狗登记", "犬类登记"]
    )
    resp = post(
        as_user("city_dispatcher"), payload(kind="consultation", category="", description="我想给家里的狗办犬类登记")
    )
    assert resp.json()["status"] == "archived" and "派出所" in resp.json()["answer"]


def test_knowledge_base_search_api_ranks_by_text_IN_5(as_user):
    client = as_user("city_dispatcher")
    body = client.get("/api/knowledge/", {"q": "身份证丢了怎么补办"}).json()
    assert body[0]["question"] == "身份证丢了怎么补办" and body[0]["score"] == 1.0
    fuzzy = client.get("/api/knowledge/", {"q": "住房公积金提取流程"}).json()
    assert fuzzy[0]["question"] == "住房公积金怎么提取"
    assert client.get("/api/knowledge/", {"q": ""}).status_code == 400


def test_attachment_urls_are_kept(as_user):
    resp = post(as_user("city_dispatcher"), payload(attachments=["https://example.org/photo/1.jpg"]))
    assert resp.json()["attachments"][0]["url"] == "https://example.org/photo/1.jpg"


def test_an_address_the_geocoder_cannot_place_goes_to_the_manual_queue(as_user):
    """No point and an address nobody can find: the ticket is kept, waiting for a dispatcher."""
    resp = post(
        as_user("city_dispatcher"), payload(lon=None, lat=None, address="某某某不存在的地方甲乙丙", category="0103")
    )
    assert resp.status_code == 201
    assert resp.json()["status"] == "pending_dispatch"


def test_an_address_text_is_geocoded_and_routed_to_its_community(as_user):
    """No point given: the address is geocoded offline, placed in 长青社区 and routed there [AS-1]."""
    resp = post(
        as_user("city_dispatcher"),
        payload(
            lon=None,
            lat=None,
            address="光明路街道长青社区19号楼下水道堵了",
            description="光明路街道长青社区19号楼下水道堵了",
        ),
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["place"]["community_code"] == CHANGQING
    assert body["lead"]["code"] == f"WS-{CHANGQING}"
    t = Ticket.objects.get(number=body["number"])
    assert (t.location_source, t.geocode_precision) == ("geocoded", "community") and t.point is not None


def test_a_crossing_is_geocoded_to_its_corner_community(as_user):
    resp = post(
        as_user("city_dispatcher"), payload(lon=None, lat=None, address="新建路与长青路交叉口东北角", category="0701")
    )
    body = resp.json()
    assert body["place"]["community_code"] == CHANGQING and body["lead"]["code"] == "DEPT-heating"


def test_an_address_found_only_at_city_level_is_kept_for_manual_dispatch(as_user):
    """A point the geocoder places only in the city is kept on the ticket, not used to route."""
    resp = post(as_user("city_dispatcher"), payload(lon=None, lat=None, address="平顶山市", category="0103"))
    body = resp.json()
    assert body["status"] == "pending_dispatch" and body["location"] is not None
    assert "geocoded only to city" in body["history"][0]["note"]


def _image(fmt: str = "PNG") -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def test_a_photo_is_attached_and_a_renamed_html_file_is_refused(as_user, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    client = as_user("city_dispatcher")
    number = post(client, payload()).json()["number"]
    photo = SimpleUploadedFile("drain.jpg", _image("JPEG"), content_type="image/jpeg")
    resp = client.post(f"/api/tickets/{number}/attachments/", {"file": photo})
    assert resp.status_code == 201, resp.json()
    assert resp.json()["content_type"] == "image/jpeg" and resp.json()["url"].endswith(".jpg")
    fake = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    resp = client.post(f"/api/tickets/{number}/attachments/", {"file": fake})
    assert resp.status_code == 400 and "file" in resp.json()
    assert client.post(f"/api/tickets/{number}/attachments/", {}).status_code == 400
    gif = SimpleUploadedFile("a.gif", _image("GIF"), content_type="image/gif")
    assert client.post(f"/api/tickets/{number}/attachments/", {"file": gif}).status_code == 400
    other = as_user("xiatang_handler")  # not theirs to see
    photo.seek(0)
    assert other.post(f"/api/tickets/{number}/attachments/", {"file": photo}).status_code == 404


def test_the_category_taxonomy_has_two_levels_and_at_least_40_leaves(client):
    tree = client.get("/api/categories/").json()
    leaves = [leaf for top in tree for leaf in top["children"]]
    assert len(leaves) >= 40 and len(tree) >= 10
    drain = next(leaf for leaf in leaves if leaf["code"] == "0101")
    assert drain["path"] == "城市管理/下水道堵塞" and drain["community_can_settle"] is True
