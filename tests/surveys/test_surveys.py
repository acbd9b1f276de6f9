"""Public-opinion surveys run by the city center [CT-1]: setting one up, the seeded call list, working it,
the results; and who may do none of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dispatch.models import Status, Ticket
from surveys import services
from surveys.models import Answer, CallEntry, Question, Response, Survey
from tests.helpers import CHANGQING, XIATANG, make_ticket

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_WEEK = TODAY - dt.timedelta(days=7)


def closed(phone: str, *, code: str = CHANGQING, days_ago: int = 2, status: str = Status.ARCHIVED) -> Ticket:
    """A ticket of `phone` closed `days_ago` days ago (the state set directly: the workflow is tested elsewhere)."""
    t = make_ticket(code=code, caller_phone=phone)
    at = timezone.now() - dt.timedelta(days=days_ago)
    Ticket.objects.filter(pk=t.pk).update(status=status, closed_at=at)
    t.refresh_from_db()
    return t


def survey(users, *, kind: str = Survey.Kind.PUBLIC_OPINION) -> Survey:
    s = services.create_survey(
        by=users["city_dispatcher"], title="2026年12月社情民意调查", kind=kind, opens_on=LAST_WEEK, closes_on=TODAY
    )
    services.add_question(
        by=users["city_dispatcher"],
        survey=s,
        text="您对办理结果满意吗",
        kind="choice",
        options=["满意", "基本满意", "不满意"],
        required=True,
    )
    services.add_question(
        by=users["city_dispatcher"], survey=s, text="热线服务打分", kind="scale", options=[], required=True
    )
    services.add_question(
        by=users["city_dispatcher"], survey=s, text="其他建议", kind="text", options=[], required=False
    )
    return s


def draw(users, s, *, size=50, seed=7, area_code="", day_from=LAST_WEEK, day_to=TODAY):
    return services.draw_call_list(
        by=users["city_dispatcher"],
        survey=s,
        day_from=day_from,
        day_to=day_to,
        size=size,
        area_code=area_code,
        seed=seed,
    )


def phones(entries) -> list[str]:
    return [e.ticket.caller_phone for e in entries]


# -- the call list [CT-1] ----------------------------------------------------------------------------------


def test_ct1_the_call_list_is_reproducible_from_its_seed(users):
    for i in range(12):
        closed(f"1380000{i:04d}")
    s = survey(users)
    first = phones(draw(users, s, size=5, seed=42))
    again = phones(draw(users, s, size=5, seed=42))
    other = phones(draw(users, s, size=5, seed=43))
    assert first == again and len(first) == 5
    assert other != first
    s.refresh_from_db()
    assert (s.sample_seed, s.sample_size) == (43, 5)


def test_ct1_one_entry_per_phone_and_never_a_caller_with_an_open_ticket(users):
    closed("13900000001")
    closed("13900000001", days_ago=3)  # the same caller twice: one entry
    closed("13900000002")
    still_open = closed("13900000003")
    make_ticket(caller_phone="13900000003")  # this caller has a ticket being handled
    assert Ticket.objects.get(pk=still_open.pk).status == Status.ARCHIVED
    entries = draw(users, survey(users), size=50)
    assert sorted(phones(entries)) == ["13900000001", "13900000002"]
    latest = Ticket.objects.filter(caller_phone="13900000001").order_by("-closed_at").first()
    assert [e.ticket_id for e in entries if e.ticket.caller_phone == "13900000001"] == [latest.pk]


def test_ct1_only_tickets_closed_in_the_window_and_the_area_are_drawn(users):
    closed("13700000001", days_ago=1)
    closed("13700000002", days_ago=30)  # closed before the window
    closed("13700000003", code=XIATANG, days_ago=1)  # 鲁山县
    Ticket.objects.filter(pk=make_ticket(caller_phone="13700000004").pk).update(
        status=Status.REPLIED, closed_at=None
    )  # replied, not closed: not yet
    s = survey(users)
    assert sorted(phones(draw(users, s))) == ["13700000001", "13700000003"]
    assert phones(draw(users, s, area_code="410423")) == ["13700000003"]
    assert phones(draw(users, s, area_code="410402002")) == ["13700000001"]
    entries = draw(users, s, area_code="410423")
    assert entries[0].county_code == "410423"


def test_ct1_only_a_public_opinion_survey_has_a_call_list(users, as_user):
    s = survey(users, kind=Survey.Kind.BUSINESS)
    r = as_user("city_dispatcher").post(f"/surveys/{s.pk}/draw/", {"day_from": LAST_WEEK, "day_to": TODAY, "size": 5})
    assert r.status_code == 400
    assert "企业" in r.content.decode() or "public-opinion" in r.content.decode()
    assert not CallEntry.objects.filter(survey=s).exists()


# -- pages: set-up, the call list, answering ------------------------------------------------------------------


def test_ct1_a_dispatcher_sets_up_a_survey_on_its_page(as_user):
    c = as_user("city_dispatcher")
    r = c.post(
        "/surveys/new/", {"title": "供暖季满意度", "kind": "public_opinion", "opens_on": LAST_WEEK, "closes_on": TODAY}
    )
    s = Survey.objects.get(title="供暖季满意度")
    assert r.status_code == 302 and r["Location"] == f"/surveys/{s.pk}/"
    r = c.post(
        f"/surveys/{s.pk}/questions/",
        {"text": "暖气温度达标吗", "kind": "choice", "options": "达标\n不达标", "required": "on"},
    )
    assert r.status_code == 302
    r = c.post(
        f"/surveys/{s.pk}/questions/", {"text": "只有一个选项", "kind": "choice", "options": "是", "required": "on"}
    )
    assert r.status_code == 400 and "只有一个选项" in r.content.decode()  # what was typed is kept
    r = c.post("/surveys/new/", {"title": "反了", "kind": "business", "opens_on": TODAY, "closes_on": LAST_WEEK})
    assert r.status_code == 400 and "反了" in r.content.decode()
    assert list(s.questions.values_list("position", "options")) == [(1, ["达标", "不达标"])]
    assert c.get(f"/surveys/{s.pk}/").status_code == 200


@pytest.fixture
def listed(users):
    closed("13612345678")
    s = survey(users)
    (entry,) = draw(users, s)
    return s, entry


def answer(s, entry, *, outcome="reached", choice="满意", scale="4", text="希望回访更及时"):
    q = {q.kind: q for q in s.questions.all()}
    p = f"e{entry.pk}-"
    return {
        f"{p}outcome": outcome,
        f"{p}q{q['choice'].pk}": choice,
        f"{p}q{q['scale'].pk}": scale,
        f"{p}q{q['text'].pk}": text,
    }


def test_ct1_the_agent_sees_the_phone_other_centers_see_no_list(listed, as_user):
    s, entry = listed
    page = as_user("city_calltaker").get(f"/surveys/{s.pk}/calls/").content.decode()
    assert "13612345678" in page
    assert as_user("ruzhou_dispatcher").get(f"/surveys/{s.pk}/calls/").status_code == 403  # a sub-center
    assert as_user("xinhua_dispatcher").get(f"/surveys/{s.pk}/calls/").status_code == 403


def test_ct1_a_sub_centers_caller_is_masked_as_everywhere_else_IN_2(users, as_user):
    """The list shows the caller as dispatch.selectors.caller_for does: a 鲁山 ticket is the sub-center's, whose
    callers the city's call-taker sees masked; the city center's own callers it sees in full."""
    closed("13811112222", code=XIATANG)
    closed("13833334444")
    s = survey(users)
    draw(users, s)
    page = as_user("city_calltaker").get(f"/surveys/{s.pk}/calls/").content.decode()
    assert "13811112222" not in page and "138****2222" in page
    assert "13833334444" in page


def test_ct1_an_agent_records_a_call_once(listed, as_user):
    s, entry = listed
    c = as_user("city_calltaker")
    url = f"/surveys/{s.pk}/calls/{entry.pk}/"
    r = c.post(url, answer(s, entry))
    assert r.status_code == 302
    r = c.post(url, answer(s, entry, choice="不满意"))  # a double submit
    assert r.status_code == 409
    assert Response.objects.filter(entry=entry).count() == 1
    assert Answer.objects.get(response__entry=entry, question__kind="choice").choice == "满意"
    entry.refresh_from_db()
    assert entry.outcome == "reached" and entry.recorded_by.username == "city_calltaker"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choice": ""}, "请回答"),
        ({"choice": "非常满意"}, "不是"),
        ({"scale": "6"}, "1"),
        ({"scale": "abc"}, "1"),
        ({"outcome": ""}, ""),
    ],
)
def test_ct1_bad_answers_are_refused_and_kept(listed, as_user, change, message):
    s, entry = listed
    data = answer(s, entry, text="这段话要留着", **change)
    r = as_user("city_calltaker").post(f"/surveys/{s.pk}/calls/{entry.pk}/", data)
    assert r.status_code == 400
    page = r.content.decode()
    assert message in page and "这段话要留着" in page
    entry.refresh_from_db()
    assert entry.outcome == "" and not Response.objects.exists()


def test_ct1_no_call_is_recorded_outside_the_survey_s_days(listed, as_user):
    s, entry = listed
    Survey.objects.filter(pk=s.pk).update(opens_on=LAST_WEEK - dt.timedelta(days=7), closes_on=LAST_WEEK)
    r = as_user("city_calltaker").post(f"/surveys/{s.pk}/calls/{entry.pk}/", answer(s, entry))
    assert r.status_code == 409 and not Response.objects.exists()


def test_ct1_a_survey_with_a_call_list_keeps_its_kind(listed, as_user):
    s, _entry = listed
    r = as_user("city_dispatcher").post(
        f"/surveys/{s.pk}/save/", {"title": s.title, "kind": "business", "opens_on": LAST_WEEK, "closes_on": TODAY}
    )
    assert r.status_code == 400
    s.refresh_from_db()
    assert s.kind == Survey.Kind.PUBLIC_OPINION


def test_ct1_not_reached_or_refused_records_no_answers(listed, as_user):
    s, entry = listed
    r = as_user("city_calltaker").post(
        f"/surveys/{s.pk}/calls/{entry.pk}/", answer(s, entry, outcome="refused", choice="")
    )
    assert r.status_code == 302
    entry.refresh_from_db()
    assert entry.outcome == "refused" and not Response.objects.exists()


# -- results --------------------------------------------------------------------------------------------------


def test_ct1_results_match_a_hand_count_and_the_csv_has_no_phone(users, as_user):
    for i, code in enumerate([CHANGQING, CHANGQING, CHANGQING, XIATANG, XIATANG]):
        closed(f"1351111000{i}", code=code, days_ago=1, status=Status.CLOSED)
    s = survey(users)
    entries = {e.ticket.caller_phone: e for e in draw(users, s)}
    agent = users["city_calltaker"]
    given = {
        "13511110000": ("reached", "满意", "5"),
        "13511110001": ("reached", "不满意", "2"),
        "13511110002": ("not_reached", "", ""),
        "13511110003": ("reached", "满意", "4"),
        "13511110004": ("refused", "", ""),
    }
    q = {q.kind: q for q in s.questions.all()}
    for phone, (outcome, choice, scale) in given.items():
        services.record_call(
            by=agent,
            entry=entries[phone],
            outcome=outcome,
            answers={q["choice"].pk: choice, q["scale"].pk: scale, q["text"].pk: ""},
        )
    c = as_user("city_dispatcher")
    page = c.get(f"/surveys/{s.pk}/results/").content.decode()
    assert 'id="rate">60%' in page  # 3 responses of 5 callers
    from surveys.selectors import results

    res = results(s)
    assert (res.entries, res.reached, res.not_reached, res.refused, res.responses) == (5, 3, 1, 1, 3)
    choice = next(r for r in res.questions if r.question.kind == Question.Kind.CHOICE)
    assert choice.options == [("满意", 2, 67), ("基本满意", 0, 0), ("不满意", 1, 33)]
    scale = next(r for r in res.questions if r.question.kind == Question.Kind.SCALE)
    assert scale.mean == round((5 + 2 + 4) / 3, 2)
    counties = {row["code"]: row for row in res.counties}
    assert counties["410402"]["entries"] == 3 and counties["410402"]["responses"] == 2
    assert counties["410402"]["mean"] == 3.5 and counties["410423"]["mean"] == 4.0
    assert counties["410423"]["rate"] == 50
    csv_text = c.get(f"/surveys/{s.pk}/results/?format=csv").content.decode()
    assert "满意,2,67" in csv_text
    assert "1351111" not in csv_text and "1351111" not in page
    assert "王芳" not in csv_text and "王芳" not in page


# -- denials ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["changqing_grid", "guangminglu_handler", "ruzhou_dispatcher", "wall_viewer"])
def test_ct1_grid_workers_townships_and_sub_centers_are_refused(listed, as_user, username):
    s, entry = listed
    c = as_user(username)
    for url in ("/surveys/", f"/surveys/{s.pk}/", f"/surveys/{s.pk}/calls/", f"/surveys/{s.pk}/results/"):
        assert c.get(url).status_code == 403, url
    assert c.post(f"/surveys/{s.pk}/calls/{entry.pk}/", answer(s, entry)).status_code == 403
    assert (
        c.post("/surveys/new/", {"title": "x", "kind": "business", "opens_on": TODAY, "closes_on": TODAY}).status_code
        == 403
    )
    assert not Response.objects.exists()


def test_ct1_anonymous_goes_to_the_log_in_page(listed, client):
    s, entry = listed
    for url in ("/surveys/", f"/surveys/{s.pk}/calls/", f"/surveys/{s.pk}/results/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_ct1_a_call_taker_works_the_list_but_does_not_set_up_or_read_results(listed, as_user):
    s, _entry = listed
    c = as_user("city_calltaker")
    assert c.get(f"/surveys/{s.pk}/calls/").status_code == 200
    assert c.get(f"/surveys/{s.pk}/").status_code == 403
    assert c.get(f"/surveys/{s.pk}/results/").status_code == 403


def test_pub4_no_business_survey_is_offered_while_businesses_cannot_answer(users, as_user):
    r = as_user("city_dispatcher").post(
        "/surveys/new/", {"title": "企业满意度", "kind": "business", "opens_on": LAST_WEEK, "closes_on": TODAY}
    )
    assert r.status_code == 400 and "企业满意度" in r.content.decode()
    assert not Survey.objects.filter(title="企业满意度").exists()
    assert 'value="business"' not in as_user("city_dispatcher").get("/surveys/new/").content.decode()
