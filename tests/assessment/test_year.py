"""The year [AR-3][AR-4][AR-5]: streaks counted within the calendar year, the annual result and the honours
on a page and in the PDF/Excel, and unreasonable repeated demands that do not count against the unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from assessment.metrics import GROUPS, UnitScore, accountability, annual_results, office_counts
from assessment.models import Exemption
from assessment.services import rule_unreasonable_repeat
from dispatch.exceptions import NotPermitted, RuleViolation
from dispatch.models import Ticket, TicketEvent
from tests.helpers import make_ticket

pytestmark = pytest.mark.django_db


def tables(group: str, rows: list[tuple[int, str, float, bool]]) -> dict[str, list[UnitScore]]:
    out = {g: [] for g in GROUPS}
    for i, (office_id, name, score, talk) in enumerate(sorted(rows, key=lambda r: -r[2]), 1):
        out[group].append(UnitScore(group, office_id, name, {"handled": 10}, {}, {}, score, i, talk))
    return out


def test_a_streak_does_not_cross_the_new_year_AR_3():
    """[AR-3] summoned in November, December and January: in January that is the first talk of the year and
    the first in a row of the year — a talk, not a public statement (three in a row)."""

    def assess(year, month):
        last = (year, month) in {(2025, 11), (2025, 12), (2026, 1)}
        return tables("counties", [(1, "甲县", 95.0, False), (2, "乙县", 80.0 if last else 96.0, last)])

    (row,) = accountability(2026, 1, assess=assess)
    assert (row.office_id, row.consequence, row.run, row.year_talks) == (2, "talk", 1, 1)
    (row,) = accountability(2025, 12, assess=assess)
    assert (row.consequence, row.run) == ("chief_talk", 2)  # within 2025 the streak holds


def test_the_annual_result_is_the_mean_of_the_months_and_names_the_honours_AR_4():
    """[AR-4] the mean of the months ranks the year; the first county and the top two departments are named
    优质服务热线单位, but a unit with a public statement this year loses the honour [AR-3]."""

    def assess(year, month):
        out = tables("counties", [(1, "甲县", 90.0 + month, False), (2, "乙县", 92.0, False)])
        # departments: 丙局 tops every month but is summoned (last of a 2-unit group? no: flagged by hand)
        deps = tables(
            "departments",
            [
                (10, "丙局", 99.0, False),
                (11, "丁局", 70.0, month <= 3),
                (12, "戊局", 88.0, False),
                (13, "己局", 87.0, False),
            ],
        )
        out["departments"] = deps["departments"]
        return out

    results = annual_results(2025, assess=assess)
    counties = {r.name: r for r in results["counties"]}
    assert counties["甲县"].score == round(sum(90.0 + m for m in range(1, 13)) / 12, 2) == 96.5
    assert counties["甲县"].honour and not counties["乙县"].honour and counties["甲县"].months == 12
    deps = {r.name: r for r in results["departments"]}
    assert deps["丁局"].public_statements >= 1  # three talks in a row (Jan–Mar)
    assert [r.name for r in results["departments"] if r.honour] == ["丙局", "戊局"]


def test_the_year_page_lists_results_and_honours_and_exports_them_AR_4(as_user):
    client = as_user("city_dispatcher")
    year = timezone.localdate().year
    resp = client.get(f"/assessment/year/{year}/")
    assert resp.status_code == 200
    assert "优质服务热线单位" in resp.content.decode()
    pdf = client.get(f"/assessment/year/{year}/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    xlsx = client.get(f"/assessment/year/{year}/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get(f"/assessment/year/{year}/?format=doc").status_code == 400
    assert client.get("/assessment/year/1999/").status_code == 404
    assert as_user("water_handler").get(f"/assessment/year/{year}/").status_code == 403


def test_an_unreasonable_repeated_demand_does_not_count_against_the_unit_AR_5(users):
    """[AR-5] the center rules the fourth call about the same thing unreasonable: it leaves the unit's counts."""
    first = make_ticket(category="0801", description="长青社区停水一整天了没有通知")
    again = make_ticket(category="0801", description="又打电话说停水的事，要求赔偿十万元")
    Ticket.objects.filter(pk=again.pk).update(repeat_of=first)
    again.refresh_from_db()
    lead = again.assignments.get(role="lead")
    window = (lead.assigned_at - dt.timedelta(hours=1), lead.assigned_at + dt.timedelta(hours=1))
    before = office_counts(*window)[lead.office_id]["handled"]

    with pytest.raises(NotPermitted):
        rule_unreasonable_repeat(ticket=again, by=users["water_handler"], reason="反复提出不合理要求")
    with pytest.raises(RuleViolation):
        rule_unreasonable_repeat(ticket=first, by=users["city_dispatcher"], reason="不是重复诉求")
    exemption = rule_unreasonable_repeat(ticket=again, by=users["city_dispatcher"], reason="反复提出无依据的赔偿要求")
    assert exemption.kind == Exemption.Kind.UNREASONABLE_REPEAT
    assert office_counts(*window)[lead.office_id]["handled"] == before - 1
    assert TicketEvent.objects.filter(ticket=again, action="rule_unreasonable_repeat").exists()
    with pytest.raises(RuleViolation):
        rule_unreasonable_repeat(ticket=again, by=users["city_dispatcher"], reason="再次裁定")
