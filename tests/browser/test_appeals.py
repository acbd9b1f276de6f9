"""[AR-5] in Debian's Chromium against a real daphne: the water company appeals a deduction from its drill-down,
the city center upholds it on the appeals desk and the month page shows the revised score and the revision;
a refused return is disputed by the unit and overturned by the center's administrator (the second ruling).

The tickets are committed this month (the server is another process) and deleted at the end of the module."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from assessment.models import Appeal, AssessmentRevision, AssessmentRow, ReturnDispute
from assessment.store import refresh_assessment
from dispatch import services
from dispatch.models import Assignment, Ticket
from grid.models import User
from tests.helpers import make_ticket

from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.fixture(scope="module")
def scenario(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        users = {u.username: u for u in User.objects.filter(username__in=["water_handler", "city_dispatcher"])}
        outage = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
        leak = make_ticket(category="0801", description="小区暖气管道漏水，楼道结冰")
        services.request_return(
            ticket=leak, by=users["water_handler"], reason="暖气管道属供热公司", suggested_office="DEPT-heating"
        )
        services.refuse_return(ticket=leak, by=users["city_dispatcher"], note="漏水点在供水管段")
        refresh_assessment()
    yield {"outage": outage, "leak": leak, "water": users["water_handler"].office}
    with django_db_blocker.unblock():
        Ticket.objects.filter(id__in=[outage.id, leak.id]).delete()
        connection.close()


def log_in(browser, live_url: str, username: str, then: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_url}/accounts/login/?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button.primary")
    page.wait_for_load_state()
    return page


def test_a_unit_appeals_a_deduction_and_the_center_upholds_it_AR_5(browser, live_url, scenario):
    today = timezone.localdate()
    period, water, outage = f"{today.year}-{today.month:02d}", scenario["water"], scenario["outage"]
    lead = outage.assignments.get(role="lead")
    unit = log_in(browser, live_url, "water_handler", f"/assessment/{period}/unit/{water.id}/")
    before = AssessmentRow.objects.get(month__month=today.replace(day=1), office=water).score
    unit.click(f'#cost-contact_rate a.appeal-link[href*="assignment={lead.pk}&"]')
    unit.wait_for_load_state()
    assert outage.number in unit.inner_text("table.rank")
    unit.fill("textarea[name=reason]", "已于当日电话联系市民并告知恢复供水时间，系统漏记联系记录")
    unit.click("button.primary")
    unit.wait_for_load_state()
    row = unit.locator(f'#appeal-list tr[data-ticket="{outage.number}"]')
    assert "待裁定" in row.inner_text()
    screenshot(unit, "appeal_drill_down")
    appeal = Appeal.objects.get(ticket=outage)

    center = log_in(browser, live_url, "city_dispatcher", "/desks/appeals/")
    form = center.locator(f'tr[data-appeal="{appeal.pk}"]')
    form.locator("input[value=uphold]").check()
    form.locator("textarea[name=ruling]").fill("调取通话记录，当日已联系市民")
    form.locator("button.primary").click()
    center.wait_for_load_state()
    assert "已维持" in center.inner_text("#appeals-ruled") or "申诉成立" in center.inner_text("#appeals-ruled")
    after = AssessmentRow.objects.get(month__month=today.replace(day=1), office=water).score
    assert after > before
    center.goto(f"{live_url}/assessment/{period}/#revisions")
    revisions = center.inner_text("#revisions")
    assert outage.number in revisions and f"{before:.2f} → {after:.2f}" in revisions
    center.locator("#revisions").scroll_into_view_if_needed()
    screenshot(center, "appeal_month_revision")
    assert AssessmentRevision.objects.filter(appeal=appeal).exists()
    unit.reload()
    assert unit.locator(f'#appeal-list tr[data-ticket="{outage.number}"] .appeal-upheld').count() == 1


def test_a_refused_return_is_disputed_and_overturned_by_the_second_ruling_AR_5(browser, live_url, scenario):
    leak = scenario["leak"]
    unit = log_in(browser, live_url, "water_handler", "/desks/returns/")
    row = unit.locator(f'#refused-returns tr[data-number="{leak.number}"]')
    row.locator("textarea[name=reason]").fill("现场确认漏水点在供热公司的暖气管道上，附现场照片")
    row.locator("button.primary").click()
    unit.wait_for_load_state()
    assert leak.number in unit.inner_text("#unit-disputes")

    admin = log_in(browser, live_url, "admin", "/desks/disputes/")
    row = admin.locator(f'#disputes tr[data-number="{leak.number}"]')
    row.locator("input[value=overturn]").check()
    row.locator("textarea[name=ruling]").fill("经现场核实漏水点属供热管道，同意退回")
    row.locator("button.primary").click()
    admin.wait_for_load_state()
    assert leak.number in admin.inner_text("#disputes-ruled")
    dispute = ReturnDispute.objects.get(ticket=leak)
    assert dispute.state == ReturnDispute.State.OVERTURNED
    lead = Assignment.objects.get(ticket=leak, is_active=True, role="lead")
    assert lead.office.code == "DEPT-heating"
    admin.goto(f"{live_url}/desks/t/{leak.number}/")
    history = admin.inner_text("#history")
    assert "经现场核实漏水点属供热管道" in history and "现场确认漏水点在供热公司的暖气管道上" in history
    assert "复核裁定：改判同意退单" in history and "对退单驳回提出争议" in history
    admin.locator("#history").scroll_into_view_if_needed()
    screenshot(admin, "return_dispute_history")
