"""Following a request [PUB-2]: "my requests" after a code, one request by its number and the last four
digits; a timeline in plain words, never the handler's personal data, never another citizen's request.
Rating the accepted reply is the callback [CB-1]; unsatisfied goes to rework [CB-2][SLA-4]."""

from __future__ import annotations

import pytest
from django.test import Client

from citizen import services
from dispatch.models import Status
from tests.citizen.helpers import OTHER_PHONE, PHONE, file_report, get_code, make_public_closed

pytestmark = pytest.mark.django_db


def by_number(client: Client, number: str, last4: str):
    return client.post("/m/track/", {"n-number": number, "n-last4": last4})


def test_one_request_by_its_number_and_the_last_four_digits():
    t = file_report(Client())
    stranger = Client()
    resp = by_number(stranger, t.number, PHONE[-4:])
    assert resp.status_code == 302 and resp["Location"] == f"/m/r/{t.number}/"
    page = stranger.get(resp["Location"])
    assert page.status_code == 200 and t.number in page.content.decode()


def test_wrong_last_four_digits_show_nothing_and_say_the_same_as_no_such_number():
    t = file_report(Client())
    stranger = Client()
    wrong = by_number(stranger, t.number, "0000")
    missing = by_number(stranger, "PDS-20000101-999999", PHONE[-4:])
    assert wrong.status_code == missing.status_code == 404
    assert t.description not in wrong.content.decode()
    assert stranger.get(f"/m/r/{t.number}/")["Location"].startswith("/m/track/")


def test_guessing_the_last_four_digits_is_stopped_per_number():
    t = file_report(Client())
    n, _seconds = services.limit("lookup_number_hour")
    for i in range(n):
        assert by_number(Client(), t.number, f"{i:04d}").status_code == 404
    assert by_number(Client(), t.number, PHONE[-4:]).status_code == 429


def test_my_requests_after_a_code_list_only_mine():
    mine = file_report(Client())
    theirs = file_report(Client(), phone=OTHER_PHONE, description="别人的诉求：幸福街的下水道堵了")
    client = Client()
    resp = client.post("/m/track/", {"v-phone": PHONE, "v-code": get_code(client, fresh=True)})
    assert resp.status_code == 302 and resp["Location"] == "/m/mine/"
    page = client.get("/m/mine/").content.decode()
    assert mine.number in page and theirs.number not in page


def test_a_verified_phone_cannot_open_another_citizens_request():
    theirs = file_report(Client(), phone=OTHER_PHONE, description="别人的诉求：幸福街的下水道堵了")
    client = Client()
    file_report(client)  # verified as PHONE
    resp = client.get(f"/m/r/{theirs.number}/")
    assert resp.status_code == 302 and resp["Location"].startswith("/m/track/")


def test_my_requests_without_a_code_goes_to_the_follow_page():
    assert Client().get("/m/mine/")["Location"] == "/m/track/"


def test_the_timeline_says_who_handles_it_and_the_reply_but_never_the_handlers_names(users):
    client = Client()
    t = make_public_closed(file_report(client), users)
    page = client.get(f"/m/r/{t.number}/").content.decode()
    lead = (
        t.assignments.get(role="lead", is_active=False).office
        if not t.assignments.filter(is_active=True).exists()
        else None
    )
    lead = lead or t.assignments.filter(role="lead").latest("id").office
    assert lead.name in page  # the unit, and its level
    assert "已更换线路和灯具" in page  # the accepted reply's result
    for personal in ("赵建国", "李主任", users["guangminglu_handler"].username, users["city_dispatcher"].username):
        assert personal not in page


def test_before_the_reply_is_accepted_there_is_no_rating_form(users):
    client = Client()
    t = file_report(client)
    page = client.get(f"/m/r/{t.number}/").content.decode()
    assert 'id="rate"' not in page
    assert client.post(f"/m/r/{t.number}/rate", {"satisfaction": "satisfied"}).status_code == 409


def test_satisfied_archives_the_request_as_its_callback(users):
    client = Client()
    t = make_public_closed(file_report(client), users)
    assert 'id="rate"' in client.get(f"/m/r/{t.number}/").content.decode()
    resp = client.post(f"/m/r/{t.number}/rate", {"satisfaction": "satisfied", "comment": "很快就修好了"})
    assert resp.status_code == 302
    t.refresh_from_db()
    assert t.status == Status.ARCHIVED and t.satisfaction == "satisfied" and t.callback_channel == "citizen"
    assert t.callback_at is not None
    assert client.post(f"/m/r/{t.number}/rate", {"satisfaction": "unsatisfied"}).status_code == 409  # once


def test_unsatisfied_sends_it_back_to_the_unit_for_rework_within_5_working_days(users):
    """[CB-2][SLA-4] The caller's own unsatisfied rating is the manual callback's: rework opens."""
    client = Client()
    t = make_public_closed(file_report(client), users)
    client.post(f"/m/r/{t.number}/rate", {"satisfaction": "unsatisfied", "comment": "晚上还是不亮"})
    t.refresh_from_db()
    assert t.status == Status.DISPATCHED and t.step == 2 and "dissatisfied" in t.focus_reasons
    actions = list(t.events.order_by("at", "id").values_list("action", flat=True))
    assert actions[-2:] == ["manual_callback", "rework"]
    first_lead = t.assignments.get(step=1, role="lead").office_id
    assert t.assignments.filter(is_active=True, step=2, role="lead", office_id=first_lead).exists()
    page = client.get(f"/m/r/{t.number}/").content.decode()
    assert "晚上还是不亮" in page


def test_following_by_number_alone_does_not_rate(users):
    t = make_public_closed(file_report(Client()), users)
    stranger = Client()
    by_number(stranger, t.number, PHONE[-4:])
    assert 'id="rate"' not in stranger.get(f"/m/r/{t.number}/").content.decode()
    assert stranger.post(f"/m/r/{t.number}/rate", {"satisfaction": "unsatisfied"}).status_code == 409
    t.refresh_from_db()
    assert t.status == Status.CLOSED


def test_a_bad_rating_is_a_400(users):
    client = Client()
    t = make_public_closed(file_report(client), users)
    assert client.post(f"/m/r/{t.number}/rate", {"satisfaction": "great"}).status_code == 400
