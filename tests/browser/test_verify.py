"""The callback desk's verifying callbacks in Chromium [AR-5][SLA-4]: a center agent flags a unit's ticket as a
suspected false report, opens the verifying-callback queue, records that the unit never contacted the caller,
and the ticket is back with the unit for rework; the month's monitoring counts it [CB-3]. The data is committed (the server is another process) and
removed at the end of the module."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from desks.models import FalseReportCase, VerifyingCallback
from dispatch.models import Status, Ticket
from grid.models import User
from tests.helpers import closed_water_ticket
from tests.servers import new_session

from .conftest import screenshot, signed_in_page

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        first_case = (FalseReportCase.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        users = {u.username: u for u in User.objects.filter(username__in=["city_dispatcher", "water_handler"])}
        store_key = new_session("city_dispatcher")
    yield {"session": store_key, "users": users, "blocker": django_db_blocker}
    with django_db_blocker.unblock():
        VerifyingCallback.objects.filter(case_id__gte=first_case).delete()
        FalseReportCase.objects.filter(id__gte=first_case).delete()
        Ticket.objects.filter(id__gte=first_id).delete()
        SessionStore(session_key=store_key).delete()
        connection.close()


@pytest.fixture
def desk(browser, live_url, world):
    with signed_in_page(browser, live_url, world["session"]) as p:
        yield p


def test_an_agent_flags_a_unit_records_a_false_reply_and_the_ticket_is_reworked_AR_5_SLA_4(desk, world):
    with world["blocker"].unblock():
        ticket = closed_water_ticket(world["users"])
    desk.goto(desk.base + "/desks/callbacks/")
    desk.click("nav.subtabs a[href='/desks/callbacks/verify/']")
    desk.wait_for_selector("#flag-form")
    desk.fill("#flag-form input[name='unit']", "DEPT-water")
    desk.fill("#flag-form input[name='tickets']", ticket.number)
    desk.fill("#flag-form textarea[name='reason']", "来电人向热线反映：供水公司答复已联系，实际从未接到电话")
    desk.fill("#flag-form input[name='sample_size']", "0")
    desk.fill("#flag-form input[name='seed']", "2026")
    desk.click("#flag-form button[type=submit]")
    desk.wait_for_selector(".flash")
    row = f"#verify-queue tr[data-number='{ticket.number}']"
    desk.wait_for_selector(row)
    assert ticket.caller_phone in desk.inner_text(row)  # the agent calls the caller back
    screenshot(desk, "desks-verify-queue")
    desk.check(f"{row} input[value='no_contact']")
    desk.fill(f"{row} textarea", "来电人称供水公司从未联系过，停水问题仍未解决")
    desk.click(f"{row} button[type=submit]")
    desk.wait_for_selector(".flash-success")
    assert "重办" in desk.inner_text(".flash")
    assert ticket.number in desk.inner_text("#findings")
    assert desk.locator(row).count() == 0  # off the queue
    with world["blocker"].unblock():
        t = Ticket.objects.get(pk=ticket.pk)
        assert t.status == Status.DISPATCHED and t.step == 2  # [SLA-4] back with the unit for rework
        assert list(t.events.order_by("at", "id").values_list("action", flat=True))[-3:] == [
            "queue_verification",
            "verify_reply",
            "rework",
        ]
        assert FalseReportCase.objects.filter(unit__code="DEPT-water", seed=2026).exists()
    desk.evaluate("window.scrollTo(0, 0)")
    screenshot(desk, "desks-verify-false")
    # [CB-3] the month's monitoring counts the verifying callback and the false reply for the unit
    desk.click("nav.subtabs a[href='/desks/callbacks/monitoring/']")
    water = desk.wait_for_selector("#monitoring tr[data-unit='DEPT-water']")
    cells = [c.inner_text() for c in water.query_selector_all("td")]
    assert int(cells[6]) >= 1 and int(cells[7]) >= 1
    screenshot(desk, "desks-callback-monitoring")
