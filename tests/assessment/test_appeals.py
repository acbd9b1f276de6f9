"""Appeals against a deduction (异议申诉) [AR-5]: the unit appeals from its drill-down, the city center rules,
an upheld appeal undoes that metric's deduction and the month keeps the revision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessment.appeals import appeal_deadline, file_appeal, rule_appeal
from assessment.metrics import month_bounds, office_counts
from assessment.models import Appeal, AssessmentRevision, AssessmentRow, Exemption
from assessment.store import month_tables
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import TicketEvent
from tests.helpers import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def deduction(users):
    """A water outage the water company never contacted the caller on: it costs the contact rate."""
    ticket = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    lead = ticket.assignments.get(role="lead")
    assert lead.office == users["water_handler"].office
    today = timezone.localdate()
    return ticket, lead, today.year, today.month


def _appeal(users, deduction, *, by="water_handler", metric="contact_rate", reason="已电话联系市民，系统漏记"):
    ticket, lead, year, month = deduction
    return file_appeal(
        by=users[by],
        unit_id=lead.office_id,
        year=year,
        month=month,
        assignment_id=lead.pk,
        metric=metric,
        reason=reason,
    )


def test_appeals_close_five_working_days_after_the_month_AR_5():
    deadline = timezone.localtime(appeal_deadline(2025, 9))
    # October 2025: 1–8 are the National Day holidays, the 11th a make-up working day (调休)
    assert deadline.date() == dt.date(2025, 10, 14) and (deadline.hour, deadline.minute) == (23, 59)


def test_only_the_units_own_staff_appeal_its_own_deductions_AR_5(users, deduction):
    for other in ("heating_handler", "city_dispatcher", "changqing_grid", "wall_viewer"):
        with pytest.raises(NotPermitted):
            _appeal(users, deduction, by=other)
    with pytest.raises(RuleViolation) as no_such:  # the ticket cost nothing on the overdue penalty
        _appeal(users, deduction, metric="overdue")
    assert no_such.value.code == "no_such_deduction"
    with pytest.raises(ValidationError):
        _appeal(users, deduction, reason="不对")
    appeal = _appeal(users, deduction)
    assert appeal.state == Appeal.State.OPEN and appeal.points > 0
    with pytest.raises(RuleViolation) as again:  # one open appeal per (unit, month, ticket, metric)
        _appeal(users, deduction)
    assert again.value.code == "appeal_open"
    assert TicketEvent.objects.filter(ticket=appeal.ticket, action="file_appeal", data__appeal=appeal.pk).exists()


def test_an_appeal_after_the_deadline_is_refused_AR_5(users, deduction):
    ticket, lead, year, month = deduction
    with pytest.raises(RuleViolation) as late:
        file_appeal(
            by=users["water_handler"],
            unit_id=lead.office_id,
            year=2020,
            month=1,
            assignment_id=lead.pk,
            metric="contact_rate",
            reason="已电话联系市民，系统漏记",
        )
    assert late.value.code == "appeal_window_closed"


def test_an_upheld_appeal_undoes_the_deduction_and_the_month_keeps_the_revision_AR_5(users, deduction):
    ticket, lead, year, month = deduction
    stored = month_tables(year, month)
    before = stored.unit(lead.office_id)
    appeal = _appeal(users, deduction)
    for who in ("water_handler", "xinhua_dispatcher", "ruzhou_dispatcher", "wall_viewer"):
        with pytest.raises(NotPermitted):  # only the city center rules; a sub-center is itself ranked
            rule_appeal(appeal=appeal, by=users[who], uphold=True, reason="联系记录属实")
    rule_appeal(appeal=appeal, by=users["city_dispatcher"], uphold=True, reason="通话记录证明已联系")
    appeal.refresh_from_db()
    assert appeal.state == Appeal.State.UPHELD and appeal.ruled_by == users["city_dispatcher"]
    assert Exemption.objects.get(assignment=lead, metric="contact_rate").kind == Exemption.Kind.APPEAL_UPHELD
    row = AssessmentRow.objects.get(month__month=dt.date(year, month, 1), office_id=lead.office_id)
    assert row.counts["contacted"] == before.counts["contacted"] + 1  # counted as met, nothing else moves
    assert row.counts["handled"] == before.counts["handled"] and row.score > before.score
    revision = AssessmentRevision.objects.get(appeal=appeal)
    change = next(c for c in revision.changes if c["office_id"] == lead.office_id)
    assert change["score"] == [before.score, row.score] and revision.reason == "通话记录证明已联系"
    counts = office_counts(*month_bounds(year, month))[lead.office_id]
    assert counts["contacted"] == row.counts["contacted"]  # the supervisor's next refresh honours it too
    assert TicketEvent.objects.filter(ticket=ticket, action="uphold_appeal").exists()
    with pytest.raises(RuleViolation):
        rule_appeal(appeal=appeal, by=users["city_dispatcher"], uphold=False, reason="再次裁定")


def test_a_rejected_appeal_leaves_the_figures_AR_5(users, deduction):
    ticket, lead, year, month = deduction
    before = month_tables(year, month).unit(lead.office_id)
    appeal = _appeal(users, deduction)
    rule_appeal(appeal=appeal, by=users["admin"], uphold=False, reason="无联系记录")
    assert Appeal.objects.get(pk=appeal.pk).state == Appeal.State.REJECTED
    with pytest.raises(RuleViolation) as final:  # the ruling is final: no second appeal of the deduction
        _appeal(users, deduction)
    assert final.value.code == "appeal_ruled"
    assert not Exemption.objects.filter(assignment=lead).exists() and not AssessmentRevision.objects.exists()
    assert month_tables(year, month).unit(lead.office_id).score == before.score
    assert TicketEvent.objects.filter(ticket=ticket, action="reject_appeal").exists()


def test_the_unit_appeals_from_its_drill_down_and_the_center_rules_on_the_desk_AR_5(users, as_user, deduction):
    ticket, lead, year, month = deduction
    period, unit = f"{year}-{month:02d}", lead.office_id
    water = as_user("water_handler")
    page = water.get(f"/assessment/{period}/unit/{unit}/").content.decode()
    link = f"/assessment/{period}/unit/{unit}/appeal/?assignment={lead.pk}&amp;metric=contact_rate"
    assert link in page
    form_url = f"/assessment/{period}/unit/{unit}/appeal/"
    assert water.get(form_url, {"assignment": lead.pk, "metric": "contact_rate"}).status_code == 200
    assert (
        as_user("heating_handler").get(form_url, {"assignment": lead.pk, "metric": "contact_rate"}).status_code == 403
    )
    heating = users["heating_handler"].office_id  # another unit appealing the water company's deduction
    assert (
        as_user("heating_handler")
        .post(
            f"/assessment/{period}/unit/{heating}/appeal/",
            {"assignment": lead.pk, "metric": "contact_rate", "reason": "x" * 8},
        )
        .status_code
        == 404
    )
    assert water.get(form_url, {"assignment": "abc", "metric": "contact_rate"}).status_code == 404
    assert water.post(form_url, {"assignment": lead.pk, "metric": "contact_rate", "reason": ""}).status_code == 400
    resp = water.post(form_url, {"assignment": lead.pk, "metric": "contact_rate", "reason": "已电话联系，系统漏记"})
    assert resp.status_code == 302
    appeal = Appeal.objects.get(ticket=ticket)
    assert 'id="appeal-list"' in water.get(f"/assessment/{period}/unit/{unit}/").content.decode()

    assert as_user("water_handler").get("/desks/appeals/").status_code == 403
    assert as_user("xinhua_dispatcher").get("/desks/appeals/").status_code == 403
    assert as_user("xinhua_dispatcher").post(f"/desks/appeals/{appeal.pk}/rule/", {}).status_code == 403
    center = as_user("city_dispatcher")
    assert ticket.number in center.get("/desks/appeals/").content.decode()
    assert center.post(f"/desks/appeals/{appeal.pk}/rule/", {"decision": "uphold", "ruling": ""}).status_code == 400
    assert center.post("/desks/appeals/999999/rule/", {"decision": "uphold", "ruling": "属实属实"}).status_code == 404
    resp = center.post(f"/desks/appeals/{appeal.pk}/rule/", {"decision": "uphold", "ruling": "通话记录证明已联系"})
    assert resp.status_code == 302
    month_page = center.get(f"/assessment/{period}/").content.decode()
    assert 'id="revisions"' in month_page and ticket.number in month_page and "通话记录证明已联系" in month_page


def test_the_admin_shows_appeals_revisions_and_disputes_read_only_AR_5(users, as_user, deduction):
    appeal = _appeal(users, deduction)
    admin = as_user("admin")
    for path in (
        "/admin/assessment/appeal/",
        "/admin/assessment/assessmentrevision/",
        "/admin/assessment/returndispute/",
    ):
        assert admin.get(path).status_code == 200
    assert admin.get(f"/admin/assessment/appeal/{appeal.pk}/change/").status_code == 200  # a view, not a form
    assert admin.get("/admin/assessment/appeal/add/").status_code == 403
