"""The assessment pages in Debian's Chromium [AR-1][AR-2][AR-3]: the month's ranking with its arrows and
charts, a unit's 6-month trend, and the drill-down to the tickets that cost points, against a real daphne.

The tickets are committed (the server is another process) in May and June 2025, and deleted with the
stored months at the end of the module."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Q

from assessment.models import AssessmentMonth
from assessment.store import refresh_assessment
from dispatch.models import Category, Ticket
from grid.models import Office
from tests.assessment.test_metrics import at as day_at
from tests.assessment.test_metrics import handled

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def at(day: int, hour: int = 9, month: int = 6):
    return day_at(day, hour, month, 2025)


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker):
    """Water is best in May and slips in June; heating climbs; gas is new in June."""
    with django_db_blocker.unblock():
        first_id = (Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        first_month = (AssessmentMonth.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        water, heating, gas = (Office.objects.get(code=f"DEPT-{c}") for c in ("water", "heating", "gas"))
        drain, heat = Category.objects.get(code="0101"), Category.objects.get(code="0701")
        made = []

        def ticket(office, n, month, good, **extra):
            facts = (
                {
                    "signed": at(2, 9, month),
                    "contacted": at(2, 11, month),
                    "replied": at(4, 9, month),
                    "closed": at(5, 9, month),
                    "satisfaction": "satisfied",
                }
                if good
                else {"signed": at(2, 12, month)}
            )
            t = handled(office, 900 + n, month=month, year=2025, **{**facts, **extra})
            t.number = f"2025{month:02d}{office.id:04d}{n:03d}"
            t.category = heat if office == heating else drain
            t.save(update_fields=["number", "category"])
            made.append(t)
            return t

        for n in range(4):  # May: water perfect, heating half bad
            ticket(water, n, 5, True)
            ticket(heating, n, 5, n % 2 == 0)
        for n in range(4):  # June: heating perfect, water with late and unanswered tickets, gas new
            ticket(heating, 10 + n, 6, True)
            ticket(water, 10 + n, 6, n == 0, overdue=n == 3)
            ticket(gas, 10 + n, 6, n < 3)
        # What the supervisor's pass does after new events: months stored earlier (another test's
        # page may have computed May and June 2025 as empty history) are recomputed.
        refresh_assessment()
    yield {"water": water, "heating": heating, "gas": gas, "tickets": made}
    with django_db_blocker.unblock():
        Ticket.objects.filter(id__gte=first_id).delete()
        AssessmentMonth.objects.filter(Q(id__gte=first_month) | Q(month__year=2025, month__month__in=(5, 6))).delete()
        connection.close()


def log_in(page, live_url: str, username: str, then: str) -> None:
    page.goto(f"{live_url}/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button.primary")
    page.wait_for_load_state()


def test_the_month_page_ranks_with_arrows_and_charts_and_drills_down_to_tickets_AR_1_AR_2(live_url, page, scenario):
    water, heating, gas = scenario["water"], scenario["heating"], scenario["gas"]
    log_in(page, live_url, "city_dispatcher", "/assessment/2025-06/")
    assert page.url.endswith("/assessment/2025-06/")
    assert page.locator("h1").inner_text() == "月度考核 2025-06"

    heating_row = page.locator(f'tr[data-office="{heating.id}"]')
    water_row = page.locator(f'tr[data-office="{water.id}"]')
    assert heating_row.locator("td").first.inner_text() == "1"
    assert heating_row.locator(".up").first.inner_text() == "▲1"  # 2nd in May, 1st in June
    assert water_row.locator(".down").first.inner_text().startswith("▼")
    assert page.locator(f'tr[data-office="{gas.id}"] .new').inner_text() == "新上榜"
    # the departments' bar chart: one bar per ranked unit, the summoned one in red
    chart = page.locator("#departments + .group svg.chart")
    assert chart.locator("rect").count() == 3
    assert chart.locator('rect[fill="#c53030"]').count() == 1
    assert water_row.locator(".talk-flag").count() == 1
    page.locator("#departments").scroll_into_view_if_needed()
    screenshot(page, "assessment-month")

    page.select_option("select[name=unit]", str(water.id))
    page.click("form.pick button")
    page.wait_for_selector("#trend svg polyline")
    assert "2025-05" in page.locator("#trend svg").text_content()
    screenshot(page, "assessment-month-trend")

    page.click(f'tr[data-office="{water.id}"] a')
    page.wait_for_selector("#cost-closure_rate")
    assert page.locator("h1").inner_text() == f"{water.name} · 2025-06"
    closure = page.locator("#cost-closure_rate tbody tr")
    assert closure.count() == 3  # three of its four June tickets were not closed
    assert page.locator("#cost-overdue tbody tr").count() == 1
    numbers = {t.number for t in scenario["tickets"] if t.number.startswith(f"202506{water.id:04d}")}
    listed = set(page.locator("#cost-closure_rate tbody tr td:first-child").all_inner_texts())
    assert listed < numbers
    assert page.locator("#cost-closure_rate a").first.get_attribute("href").startswith("/w/t/202506")
    assert page.locator("svg.trend circle").count() == 2  # May and June
    screenshot(page, "assessment-unit")
    page.set_viewport_size({"width": 1280, "height": 2000})
    screenshot(page, "assessment-unit-full")
    assert not page.js_errors, page.js_errors


def test_a_unit_sees_its_own_drill_down_but_not_the_ranking(live_url, page, scenario):
    water = scenario["water"]
    log_in(page, live_url, "water_handler", f"/assessment/2025-06/unit/{water.id}/")
    assert page.locator("#cost-closure_rate tbody tr").count() == 3
    response = page.goto(f"{live_url}/assessment/2025-06/")
    assert response.status == 403
    assert "指挥中心" in page.locator("[role=alert]").inner_text()
    response = page.goto(f"{live_url}/assessment/2025-06/unit/{scenario['heating'].id}/")
    assert response.status == 403
    screenshot(page, "assessment-unit-denied")
