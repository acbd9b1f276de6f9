"""The call-taker's console in Chromium, keyboard only [CT-1]: a simulated PBX rings the seat over the CTI
endpoint, the call pops up, the call-taker types, the suggestions come, one key dispatches; and a caller
whose problem is already open is linked to it instead of opening a duplicate."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import pytest
from django.conf import settings
from django.core.management import call_command

from console.models import CallRecord, CallTicket
from dispatch.models import Ticket, TicketEvent
from tests.helpers import CHANGQING, make_ticket

from .conftest import console_seat, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SEWER = "长青社区3号楼下水道堵了，污水溢到路面上，已经两天了"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Committed: the call-taker at seat 8001 (console_seat) and an open sewer ticket in 长青社区, the problem a
    second caller will report again. Removed at the end."""
    with console_seat(django_db_blocker) as seat:
        with django_db_blocker.unblock():
            open_ticket = make_ticket(code=CHANGQING, category="0101", description=SEWER, caller_phone="13700000001")
        yield {**seat, "open_ticket": open_ticket}


def cti(live_url: str, token: str, event: str, call_id: str, caller: str) -> float:
    body = {"event": event, "call_id": call_id, "caller": caller, "callee": "12345", "extension": "8001"}
    req = urllib.request.Request(
        f"{live_url}/api/cti/events",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    sent = time.time()
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 202
    return sent


@pytest.fixture
def console(browser, live_url, world):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": world["session"], "url": live_url}])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_url}/center/")
    page.wait_for_selector("#cc-conn[data-state='open']", timeout=20000)
    yield page
    assert not errors, errors
    context.close()


def test_a_ringing_call_becomes_a_dispatched_ticket_with_the_keyboard_only(console, live_url, world):
    page = console
    screenshot(page, "console-waiting")
    # the simulated PBX's script rings seat 8001 over the CTI endpoint, as a real PBX would
    call_command(
        "simulate_call",
        extension="8001",
        caller="13955556666",
        url=live_url,
        token=world["token"],
        call_id="b-call-1",
        answer_after=0.5,
        no_hangup=True,
        stdout=io.StringIO(),
    )
    page.wait_for_selector("#call-caller:has-text('13955556666')", timeout=5000)
    page.wait_for_selector("#call-state[data-state='answered']")
    # the pop put the number into the form and the cursor into the description: from here only keys
    assert page.evaluate("document.activeElement.id") == "f-description"
    assert page.input_value("#f-phone") == "13955556666"
    page.keyboard.type("光明路街道长青路18号门口下水道堵塞，污水漫到人行道上了")
    page.wait_for_selector("#cat-alts .cc-alt", timeout=10000)
    page.wait_for_selector("#sg-route b")
    page.keyboard.press("Tab")  # → phone (filled)
    page.keyboard.press("Tab")  # → name
    page.keyboard.type("周女士")
    page.keyboard.press("Alt+1")  # the classifier's first category
    assert page.input_value("#f-category") == page.get_attribute("#cat-alts .cc-alt >> nth=0", "data-code")
    page.keyboard.press("Control+s")
    page.wait_for_selector("#draft-state:not(:empty)")
    screenshot(page, "console-typing")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result[data-kind='ok']", timeout=15000)
    screenshot(page, "console-dispatched")
    number = page.get_attribute("#result", "data-number")
    ticket = Ticket.objects.get(number=number)
    assert (ticket.channel, ticket.caller_phone, ticket.caller_name) == ("phone", "13955556666", "周女士")
    assert ticket.status == "dispatched" and ticket.assignments.exists()
    assert CallTicket.objects.get(call__call_id="b-call-1").relation == "created"


def test_a_caller_whose_problem_is_already_open_is_linked_not_duplicated(console, live_url, world):
    page = console
    before = Ticket.objects.count()
    cti(live_url, world["token"], "ringing", "b-call-2", "13811112222")
    cti(live_url, world["token"], "answered", "b-call-2", "13811112222")
    page.wait_for_selector("#call-state[data-state='answered']", timeout=5000)
    page.keyboard.type("长青社区3号楼下水道又堵了，污水漫到路面")
    existing = world["open_ticket"].number
    page.wait_for_selector(f"#sg-similar .cc-link[data-number='{existing}']", timeout=10000)
    screenshot(page, "console-similar")
    assert page.get_attribute("#sg-similar .cc-link >> nth=0", "data-number") == existing
    page.keyboard.press("Alt+l")
    page.wait_for_selector("#result[data-kind='ok']", timeout=10000)
    screenshot(page, "console-linked")
    assert page.get_attribute("#result", "data-number") == existing
    assert Ticket.objects.count() == before  # no duplicate
    assert CallTicket.objects.get(call__call_id="b-call-2").relation == "linked"
    assert TicketEvent.objects.filter(ticket__number=existing, action="caller_linked").exists()
    # the caller's history now shows the ticket they were linked to
    page.wait_for_selector(f"#history li:has-text('{existing}')")
    # click-to-call [CT-1]: call the ticket's first caller back from the history
    page.click(f"#history li:has-text('{existing}') button >> nth=0")
    page.wait_for_selector("#result[data-kind='ok']:has-text('正在外呼')")
    out = CallRecord.objects.get(direction="out", ticket_links__ticket__number=existing)
    assert out.callee == "13700000001" and out.extension == "8001"


def test_the_console_fits_a_full_hd_screen(browser, live_url, world):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": world["session"], "url": live_url}])
    page = context.new_page()
    page.goto(f"{live_url}/center/")
    page.wait_for_selector("#cc-conn[data-state='open']", timeout=20000)
    # no page scroll: the three columns fit the screen
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    page.wait_for_selector("#cc-map .leaflet-overlay-pane path", timeout=20000)  # our own base map drew
    page.wait_for_selector("#w-agents:has-text('1')")  # this console is on seat
    screenshot(page, "console-1920")
    context.close()
