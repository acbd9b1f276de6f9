"""A public-opinion survey in Chromium [CT-1]: the city center's dispatcher creates a survey and its questions,
draws the call list, works one entry (the caller's phone shown, the answers recorded) and opens the results.
The data is committed (the server is another process) and removed at the end of the module."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone

from dispatch.models import Status, Ticket
from surveys.models import Survey
from tests.helpers import CHANGQING, make_ticket
from tests.servers import new_session

from .conftest import screenshot, signed_in_page

pytestmark = [pytest.mark.browser]
PHONE = "13955550123"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        first_survey = (Survey.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        ticket = make_ticket(caller_phone=PHONE, caller_name="刘建国")
        Ticket.objects.filter(pk=ticket.pk).update(status=Status.ARCHIVED, closed_at=timezone.now())
        store_key = new_session("city_dispatcher")
    yield {"session": store_key, "ticket": ticket}
    with django_db_blocker.unblock():
        Survey.objects.filter(id__gte=first_survey).delete()
        Ticket.objects.filter(id__gte=first_id).delete()
        SessionStore(session_key=store_key).delete()
        connection.close()


@pytest.fixture
def page(browser, live_url, world):
    with signed_in_page(browser, live_url, world["session"]) as p:
        yield p


def test_a_dispatcher_runs_a_survey_works_a_call_and_reads_the_results_CT_1(page, world):
    today = f"{timezone.localdate():%Y-%m-%d}"
    page.goto(page.base + "/desks/")
    page.click("header.topbar a[href='/surveys/']")  # the center's way in
    page.fill("#new-survey input[name='title']", "12月社情民意调查")
    page.select_option("#new-survey select[name='kind']", "public_opinion")
    page.fill("#new-survey input[name='opens_on']", today)
    page.fill("#new-survey input[name='closes_on']", today)
    page.click("#new-survey button[type=submit]")
    page.wait_for_selector("#question-form")
    for text, kind, options in [
        ("您对办理结果满意吗", "choice", "满意\n基本满意\n不满意"),
        ("热线服务打分", "scale", ""),
    ]:
        page.fill("#question-form input[name='text']", text)
        page.select_option("#question-form select[name='kind']", kind)
        page.fill("#question-form textarea[name='options']", options)
        page.click("#question-form button[type=submit]")
        page.wait_for_selector(f"#questions li:has-text('{text}')")
    page.fill("#draw-form input[name='day_from']", today)
    page.fill("#draw-form input[name='day_to']", today)
    page.fill("#draw-form input[name='size']", "20")
    page.fill("#draw-form input[name='area_code']", CHANGQING)
    page.fill("#draw-form input[name='seed']", "2026")
    screenshot(page, "surveys-edit")
    page.click("#draw-form button[type=submit]")
    page.wait_for_selector("#call-list")
    row = page.locator("#call-list tr", has_text=world["ticket"].number)
    assert PHONE in row.inner_text()  # the city center's agent sees the number to ring
    row.locator("select[name$='-outcome']").select_option("reached")
    row.locator("select").nth(1).select_option("满意")
    row.locator("select").nth(2).select_option("4")
    screenshot(page, "surveys-calls")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    row = page.locator("#call-list tr", has_text=world["ticket"].number)
    assert "接通" in row.inner_text()
    page.click("nav.survey-tabs a[href$='/results/']")
    page.wait_for_selector("#figures")
    assert page.inner_text("#responses") == "1"
    assert "4" in page.inner_text(".mean")
    assert PHONE not in page.content() and "刘建国" not in page.content()
    screenshot(page, "surveys-results")
