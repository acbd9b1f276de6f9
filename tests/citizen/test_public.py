"""The public record [PUB-1][PUB-3]: closed cases the citizen chose to make public, by category, area and
month, the request and the reply summarised and redacted (core.redact); a JSON feed (paged) and an RSS
feed per area for media partners. Planted personal data never comes out; a private case never shows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from citizen.models import CitizenReport
from dispatch.models import Reply
from tests.citizen.helpers import OTHER_PHONE, PHONE, file_report, make_public_closed

pytestmark = pytest.mark.django_db

# Personal data of every kind the redactor knows, planted in the request and in the reply.
PLANTED = {
    "mobile": "13712345678",
    "landline": "0375-2345678",
    "id_card": "410402198807150023",
    "plate": "豫D·A1234",
    "name": "张建华先生",
    "labelled_name": "联系人：刘德明",
    "room": "3号楼2单元501",
    "email": "zhangjh@example.com",
}
PLANTED_DESCRIPTION = (
    f"我是{PLANTED['name']}，住长青社区{PLANTED['room']}，电话{PLANTED['mobile']}，身份证{PLANTED['id_card']}。"
    f"楼下停着车牌{PLANTED['plate']}的车占了消防通道，{PLANTED['labelled_name']}，座机{PLANTED['landline']}，"
    f"邮箱{PLANTED['email']}"
)
PRIVATE_MARK = "私密诉求甲乙丙：幸福街邻居家漏水"


def needles() -> list[str]:
    """What must not appear: each planted item, its digits without separators, the callers' phones."""
    out = set(PLANTED.values()) | {PHONE, OTHER_PHONE, "张建华", "刘德明", "2345678", "A1234", "198807150023"}
    return sorted(out)


@pytest.fixture
def record(users):
    """Two public closed cases (one with planted data in the request and the reply), a private closed
    case, and a public case still open."""
    client = Client()
    planted = make_public_closed(file_report(client, description=PLANTED_DESCRIPTION), users)
    Reply.objects.filter(ticket=planted).update(
        facts=f"经联系{PLANTED['name']}（{PLANTED['mobile']}）核实，{PLANTED['room']}住户反映属实。"
    )
    plain = make_public_closed(file_report(client, code=False, description="长青路的路灯坏了好几天，晚上很黑"), users)
    other = Client()
    private = make_public_closed(file_report(other, phone=OTHER_PHONE, description=PRIVATE_MARK), users, public=False)
    still_open = file_report(other, code=False, phone=OTHER_PHONE, description="公开但未办结：长青路井盖松动")
    return {"planted": planted, "plain": plain, "private": private, "open": still_open}


def pages(record) -> dict[str, str]:
    c = Client()
    month = f"{timezone.localdate():%Y-%m}"
    return {
        "list": c.get("/m/public/").content.decode(),
        "list_filtered": c.get(f"/m/public/?area=410402&month={month}").content.decode(),
        "json": c.get(f"/api/public/cases?area=410402002&month={month}").content.decode(),
        "rss_county": c.get("/m/public/410402/rss/").content.decode(),
        "rss_township": c.get("/m/public/410402002/rss/").content.decode(),
        "map": c.get("/m/public/map/").content.decode(),
    }


def test_public_closed_cases_are_listed_with_the_reply(record):
    for name, body in pages(record).items():
        if name == "map":
            continue
        assert record["planted"].number in body and record["plain"].number in body, name
    data = Client().get("/api/public/cases?area=410402").json()
    case = next(c for c in data["results"] if c["number"] == record["plain"].number)
    assert "路灯" in case["request"] and "已更换线路" in case["reply"] and case["category"] == ""
    assert case["point"]["type"] == "Point"


def test_no_planted_personal_data_comes_out_of_the_record_or_its_feeds(record):
    for name, body in pages(record).items():
        leaked = [n for n in needles() if n in body]
        assert not leaked, (name, leaked)
    data = Client().get("/api/public/cases").json()
    case = next(c for c in data["results"] if c["number"] == record["planted"].number)
    assert "[电话]" in case["request"] and "[身份证号]" in case["request"] and "某先生" in case["request"]
    assert "[电话]" in case["reply"]


def test_a_private_case_never_appears(record):
    for name, body in pages(record).items():
        assert record["private"].number not in body and PRIVATE_MARK not in body, name


def test_an_open_case_is_not_in_the_record_until_closed(record):
    for name, body in pages(record).items():
        assert record["open"].number not in body, name


def test_the_map_points_are_rounded_to_about_100_metres(record):
    data = Client().get("/api/public/cases").json()
    for case in data["results"]:
        x, y = case["point"]["coordinates"]
        assert round(x, 3) == x and round(y, 3) == y


def test_the_feed_is_paged_and_filters_by_area_and_month(record):
    c = Client()
    first = c.get("/api/public/cases?size=1").json()
    second = c.get("/api/public/cases?size=1&page=2").json()
    assert first["count"] == 2 and first["pages"] == 2 and len(first["results"]) == 1
    assert first["results"][0]["number"] != second["results"][0]["number"]
    assert c.get("/api/public/cases?area=410423").json()["count"] == 0  # 鲁山县: none there
    assert c.get("/api/public/cases?month=2001-01").json()["count"] == 0
    assert c.get("/api/public/cases?page=99").json()["results"] == []


@pytest.mark.parametrize(
    "query",
    ["area=abc", "area=4104", "month=2026-13", "month=26-1", "page=0", "page=x", "size=1000", "category=x"],
)
def test_bad_filters_are_a_400_with_a_message(query):
    resp = Client().get(f"/api/public/cases?{query}")
    assert resp.status_code == 400 and resp.json()["detail"]
    assert Client().get(f"/m/public/?{query}").status_code == 400


def test_an_unknown_area_has_no_rss():
    assert Client().get("/m/public/999999/rss/").status_code == 404
    assert Client().get("/m/public/abc/rss/").status_code == 404


def test_the_public_list_links_the_monthly_ranking(record):
    body = Client().get("/m/public/?month=2026-11").content.decode()
    assert "/assessment/public/2026-11/" in body


def test_the_public_query_is_one_indexed_query_per_page(record, django_assert_max_num_queries):
    from citizen import selectors

    with django_assert_max_num_queries(3):  # the count, the page, the replies
        selectors.public_cases(selectors.PublicQuery(area="410402", month=f"{timezone.localdate():%Y-%m}"))


def test_the_callers_choice_is_kept_on_their_report(record):
    assert CitizenReport.objects.get(ticket=record["private"]).public is False
    assert CitizenReport.objects.get(ticket=record["planted"]).public is True


def test_the_callers_own_name_written_bare_in_the_text_is_removed_too(users):
    """A bare name (no 先生/女士) is beyond the redactor's patterns; the caller's own is known and goes."""
    client = Client()
    t = make_public_closed(
        file_report(client, name="欧阳明远", description="我叫欧阳明远，长青路路灯坏了，晚上很黑"), users
    )
    body = Client().get("/api/public/cases").content.decode()
    assert t.number in body and "欧阳明远" not in body and "某某" in body


def test_counting_stops_at_the_cap_and_the_pages_ask_for_an_area_or_a_month(record, monkeypatch):
    """A count of every public case of a big city would scan them all: it stops at COUNT_CAP."""
    from citizen import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    data = Client().get("/api/public/cases?size=1").json()
    assert data["count"] == 1 and data["count_capped"] is True and data["pages"] == 2
    assert "choose an area or a month" in Client(HTTP_ACCEPT_LANGUAGE="en").get("/m/public/").content.decode() or (
        "请选择区域或月份" in Client().get("/m/public/").content.decode()
    )


def test_the_callers_one_choice_opens_both_the_public_record_and_open311_and_closing_it_closes_both(record):
    """[PUB-1] One flag, on the ticket: the public record and Open311's anonymous readers follow it together."""
    from dispatch.models import Ticket
    from open311.rows import PUBLIC, SUMMARY, view_of

    month = f"{timezone.localdate():%Y-%m}"

    def published() -> set[str]:
        rows = Client().get(f"/api/public/cases?area=410402002&month={month}").json()["results"]
        return {r["number"] for r in rows}

    planted, private = Ticket.objects.get(pk=record["planted"].pk), Ticket.objects.get(pk=record["private"].pk)
    assert planted.number in published() and view_of(planted, None) == PUBLIC
    assert private.number not in published() and view_of(private, None) == SUMMARY
    Ticket.objects.filter(pk=planted.pk).update(is_public=False)  # the caller withdraws the choice
    planted.refresh_from_db()
    assert planted.number not in published() and view_of(planted, None) == SUMMARY
    assert CitizenReport.objects.get(ticket=planted).public is False
