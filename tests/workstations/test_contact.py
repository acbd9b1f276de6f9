"""[HD-1] The contact form of the workstation pages: how the caller was contacted and whether they were
reached, as the API records them. A failed attempt is recorded as a fact, not a contact; bad input is a
400 next to the form with what was typed still in it."""

import pytest

from dispatch import services
from dispatch.fieldwork import services as field
from dispatch.models import CallerContact, Status
from tests.helpers import CHANGQING, events, make_ticket

from .conftest import text
from .test_actions import contact_form, reply_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def drain(db, users):
    ticket = make_ticket(code=CHANGQING, category="0101")
    return services.sign_for(ticket=ticket, by=users["changqing_grid"])


def test_the_contact_form_asks_how_and_whether_the_caller_was_reached_HD_1(as_user, drain):
    page = text(as_user("changqing_grid").get(f"/w/t/{drain.number}/"))
    form = page.split(f'action="/w/t/{drain.number}/contact/"', 1)[1].split("</form>", 1)[0]
    assert 'name="contact-means"' in form and 'name="contact-outcome"' in form and 'name="contact-note"' in form
    for label in ("联系方式", "联系结果", "电话", "短信", "上门走访", "已联系上诉求人", "联系诉求人未果"):
        assert label in form
    for name in ("means", "outcome"):  # nothing preselected: a choice is made
        select = form.split(f'name="contact-{name}"', 1)[1].split("</select>", 1)[0]
        assert 'value="" selected' in select and select.count("selected") == 1


def test_a_contact_without_means_or_outcome_is_refused_and_keeps_the_note_HD_1(as_user, drain):
    client = as_user("changqing_grid")
    response = client.post(f"/w/t/{drain.number}/contact/", {"contact-note": "电话联系来电人，约定下午到场"})
    assert response.status_code == 400
    page = text(response)
    assert "请说明联系方式。" in page and "请说明是否联系上诉求人。" in page
    assert "电话联系来电人，约定下午到场" in page  # nothing typed is lost
    response = client.post(f"/w/t/{drain.number}/contact/", contact_form("约定下午到场", means="fax", outcome="failed"))
    assert response.status_code == 400
    page = text(response)
    assert "fax" in page and "约定下午到场" in page and 'value="failed" selected' in page
    assert not CallerContact.objects.filter(ticket=drain).exists()
    drain.refresh_from_db()
    assert drain.contacted_at is None and events(drain)[-1] == "sign_for"


def test_a_failed_attempt_from_the_page_is_a_fact_not_a_contact_and_the_reply_may_follow_HD_1(as_user, drain):
    client = as_user("changqing_grid")
    response = client.post(
        f"/w/t/{drain.number}/contact/", contact_form("上门两次无人应答，已留言", means="visit", outcome="failed")
    )
    assert response.status_code == 302
    contact = CallerContact.objects.get(ticket=drain)
    assert (contact.means, contact.outcome, contact.note) == ("visit", "failed", "上门两次无人应答，已留言")
    drain.refresh_from_db()
    assert drain.contacted_at is None  # the assessment's contact measure is not met by an attempt
    assert events(drain)[-1] == "contact_attempt"
    assert "联系诉求人未果" in text(client.get(f"/w/t/{drain.number}/"))
    assert client.post(f"/w/t/{drain.number}/reply/", reply_form()).status_code == 302  # an attempt is on record
    drain.refresh_from_db()
    assert drain.status == Status.REPLIED


def test_a_community_records_its_attempt_and_its_contact_for_the_township_HD_1(as_user, users):
    street = make_ticket(code=CHANGQING, category="0103", description="长青路12号门前有人占道经营卖水果")
    field.delegate(ticket=street, by=users["guangminglu_handler"], office="WS-410402002005")
    worker = as_user("changqing_grid")
    failed = contact_form("短信已发，未回复", means="sms", outcome="failed")
    assert worker.post(f"/w/t/{street.number}/contact/", failed).status_code == 302
    street.refresh_from_db()
    assert street.contacted_at is None
    assert events(street)[-2:] == ["accept_delegation", "delegated_contact_attempt"]
    reached = contact_form("电话联系上来电人，约定明早到场", means="phone", outcome="reached")
    assert worker.post(f"/w/t/{street.number}/contact/", reached).status_code == 302
    street.refresh_from_db()
    assert street.contacted_at is not None and events(street)[-1] == "delegated_contact"
    assert list(CallerContact.objects.filter(ticket=street).values_list("means", "outcome", "office__code")) == [
        ("sms", "failed", "WS-410402002005"),
        ("phone", "reached", "WS-410402002005"),
    ]
    page = text(as_user("guangminglu_handler").get(f"/w/t/{street.number}/"))
    assert "联系诉求人未果（社区）" in page
