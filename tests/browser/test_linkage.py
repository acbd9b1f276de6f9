"""[CT-2] A ticket handed over to a linked system from the console, in Chromium: a call rings the seat, the
call-taker takes the ticket, picks the water company's line and Alt+H hands it over; the hand-over is
recorded with the call and shows on the ticket's hand-over page."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from linkage.models import HandOver

from .conftest import console_seat, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed: the call-taker at seat 8001 (console_seat); removed at the end with the hand-overs."""
    with console_seat(django_db_blocker) as seat:
        yield seat
        with django_db_blocker.unblock():
            HandOver.objects.filter(ticket_id__gte=seat["first_id"]).delete()


def test_a_ticket_is_handed_over_to_the_water_line_from_the_console(browser, live_url, world):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": world["session"], "url": live_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_url}/center/")
    page.wait_for_selector("#cc-conn[data-state='open']", timeout=20000)
    # nothing taken yet: the hand-over says so instead of guessing a ticket
    page.keyboard.press("Alt+h")
    page.wait_for_selector("#handover-result[data-kind='error']")
    call_command(
        "simulate_call",
        extension="8001",
        caller="13955557777",
        url=live_url,
        token=world["token"],
        call_id="b-water-1",
        answer_after=0.5,
        no_hangup=True,
        stdout=io.StringIO(),
    )
    page.wait_for_selector("#call-caller:has-text('13955557777')", timeout=5000)
    page.keyboard.type("光明路街道长青路18号自来水主管道爆裂，路面大量积水，整栋楼停水")
    page.fill("#f-name", "孙先生")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result[data-kind='ok']", timeout=15000)
    number = page.get_attribute("#result", "data-number")
    page.select_option("#handover-line", "water")
    page.fill("#handover-note", "主管道爆裂，请供水公司抢修")
    page.keyboard.press("Alt+h")
    page.wait_for_selector("#handover-result[data-kind='ok']", timeout=10000)
    text = page.inner_text("#handover-result")
    assert number in text and "供水" in text
    screenshot(page, "console-handover")
    h = HandOver.objects.get(ticket__number=number)
    assert (h.system.code, h.call_id, h.state, h.by.username) == ("water", "b-water-1", "outbox", "city_calltaker")
    assert h.note == "主管道爆裂，请供水公司抢修"
    # on the ticket: its hand-over page lists it
    page.goto(f"{live_url}/linkage/t/{number}/hand-over")
    assert "供水服务热线" in page.inner_text("#handovers")
    screenshot(page, "ticket-handover")
    assert not errors, errors
    context.close()
