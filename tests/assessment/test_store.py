"""The yearly scheme [AR-2], the stored month tables and their refresh [AR-1], the per-unit drill-down,
month-over-month arrows and who may see what, on the hand-computed scenario of test_assessment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from assessment.metrics import (
    DEFAULT_SCHEME,
    assess_month,
    month_over_month,
    ranked_unit,
    scheme_for_year,
    unit_costs,
)
from assessment.models import AssessmentMonth, AssessmentRow, AssessmentScheme
from assessment.store import month_tables, refresh_assessment, store_month
from dispatch.models import Assignment, Ticket, TicketEvent
from grid.models import Office
from tests.assessment.test_metrics import at, handled, water_and_heating_march

pytestmark = pytest.mark.django_db

APRIL = at(15, month=4)  # "now" for the scenario: every March deadline has passed
CUSTOM = {  # a 2026 scheme that weighs sign-for more and satisfaction less, and penalizes differently
    "sign_on_time_rate_weight": 20,
    "contact_rate_weight": 10,
    "reply_on_time_rate_weight": 20,
    "closure_rate_weight": 10,
    "reply_quality_weight": 10,
    "satisfaction_rate_weight": 30,
    "overdue_per_point": 1,
    "overdue_cap": 20,
    "rework_per_point": 0,
    "rework_cap": 0,
    "refused_returns_per_point": "0.5",
    "refused_returns_cap": 10,
    "repeats_per_point": "0.5",
    "repeats_cap": 5,
}


def scheme(year: int = 2026, **fields) -> AssessmentScheme:
    s = AssessmentScheme(year=year, **{**CUSTOM, **fields})
    s.full_clean()
    s.save()
    return s


# -- the scheme of the month's year [AR-2] ---------------------------------------------------------


def test_a_years_scheme_changes_the_score_as_hand_computed_AR_2():
    water, heating = water_and_heating_march()
    assert assess_month(2026, 3, now=APRIL)["departments"][1].score == 35  # the defaults (test_assessment)
    scheme()
    tables = assess_month(2026, 3, now=APRIL)
    w = next(u for u in tables["departments"] if u.office_id == water.id)
    # rates 0.75 0.75 0.5 0.5 0.5 0.5 → 15 + 7.5 + 10 + 5 + 5 + 15 = 57.5
    # overdue 2/4 = 50 points → capped at 20; rework weighs 0; refused 1/4 → 0.5 × 25 = 12.5 → capped at 10
    assert w.penalties == {"overdue": 20, "rework": 0, "refused_returns": 10, "repeats": 0}
    assert w.score == 27.5
    assert next(u for u in tables["departments"] if u.office_id == heating.id).score == 100


def test_a_year_without_a_scheme_uses_the_documented_defaults_AR_2():
    scheme(2026)
    assert scheme_for_year(2025) is DEFAULT_SCHEME
    assert DEFAULT_SCHEME.weights == {
        "sign_on_time_rate": 10,
        "contact_rate": 10,
        "reply_on_time_rate": 20,
        "closure_rate": 15,
        "reply_quality": 10,
        "satisfaction_rate": 35,
    }
    assert DEFAULT_SCHEME.penalties == {
        "overdue": (0.5, 10),
        "rework": (0.5, 5),
        "refused_returns": (1.0, 5),
        "repeats": (0.5, 5),
    }
    assert scheme_for_year(2026).weights["sign_on_time_rate"] == 20
    default_row = AssessmentScheme(year=2027)  # the model's field defaults are the same figures
    assert scheme_for_year(2027) is DEFAULT_SCHEME
    assert float(default_row.satisfaction_rate_weight) == 35 and float(default_row.overdue_cap) == 10
    default_row.full_clean()  # and they add up to 100


def test_weights_must_add_up_to_100_and_nothing_may_be_negative_AR_2():
    with pytest.raises(ValidationError) as e:
        AssessmentScheme(year=2026, **{**CUSTOM, "satisfaction_rate_weight": 29}).full_clean()
    assert "99" in str(e.value) and "100" in str(e.value)
    with pytest.raises(ValidationError) as e:
        AssessmentScheme(year=2026, **{**CUSTOM, "overdue_cap": -1}).full_clean()
    assert "overdue_cap" in e.value.message_dict
    scheme(2026)
    with pytest.raises(ValidationError) as e:
        AssessmentScheme(year=2026, **CUSTOM).full_clean()
    assert "year" in e.value.message_dict


def test_the_admin_explains_a_bad_total_and_saving_a_scheme_marks_its_year_stale_AR_2(as_user):
    client = as_user("admin")
    page = client.get("/admin/assessment/assessmentscheme/add/").content.decode()
    assert "加起来" in page or "add up to 100" in page  # the fieldset says the six weights add up to 100
    month_tables(2026, 3)
    month_tables(2025, 12)
    form = {"year": "2026", "note": "", **{k: str(v) for k, v in CUSTOM.items()}}
    bad = client.post("/admin/assessment/assessmentscheme/add/", {**form, "closure_rate_weight": "15"})
    assert bad.status_code == 200
    assert re.search(r"105.*100", bad.content.decode())  # "the six rate weights add up to 105; they must … 100"
    assert not AssessmentScheme.objects.exists()
    good = client.post("/admin/assessment/assessmentscheme/add/", form)
    assert good.status_code == 302
    assert AssessmentScheme.objects.get(year=2026).sign_on_time_rate_weight == Decimal(20)
    assert AssessmentMonth.objects.get(month=dt.date(2026, 3, 1)).stale
    assert not AssessmentMonth.objects.get(month=dt.date(2025, 12, 1)).stale
    assert month_tables(2026, 3).scheme.year == 2026  # a page reading a stale month recomputes it
    assert not AssessmentMonth.objects.get(month=dt.date(2026, 3, 1)).stale
    months = client.get("/admin/assessment/assessmentmonth/")
    assert months.status_code == 200 and "2026" in months.content.decode()
    assert client.get("/admin/assessment/assessmentmonth/add/").status_code == 403  # computed, never typed in
    scheme_id = AssessmentScheme.objects.get(year=2026).id
    assert client.post(f"/admin/assessment/assessmentscheme/{scheme_id}/delete/", {"post": "yes"}).status_code == 302
    assert AssessmentMonth.objects.get(month=dt.date(2026, 3, 1)).stale  # back to the defaults: recompute


# -- the stored table [AR-1][AR-2] -------------------------------------------------------------------


def test_stored_rows_equal_freshly_computed_ones_AR_1_AR_2():
    water_and_heating_march()
    handled(Office.objects.get(code="TC-410402002"), 1, signed=at(2, 9), contacted=at(2, 10))  # a township
    store_month(2026, 3, now=APRIL)
    stored = month_tables(2026, 3)
    fresh = assess_month(2026, 3, now=APRIL)
    assert stored.computed_at == APRIL
    assert stored.tables == fresh  # every group, unit, count, rate, penalty, score, rank and talk flag
    assert AssessmentRow.objects.filter(month__month=dt.date(2026, 3, 1)).count() == sum(map(len, fresh.values()))


def test_a_month_never_computed_is_computed_when_a_page_asks_for_it_AR_1(as_user):
    water_and_heating_march()
    assert not AssessmentMonth.objects.filter(month=dt.date(2026, 3, 1)).exists()
    assert as_user("city_dispatcher").get("/assessment/2026-03/").status_code == 200
    head = AssessmentMonth.objects.get(month=dt.date(2026, 3, 1))
    assert head.rows.filter(score__isnull=False).count() == 2
    assert head.scheme_used["weights"]["satisfaction_rate"] == 35


def test_refresh_recomputes_only_the_month_a_new_event_touches_AR_1():
    water, heating = water_and_heating_march()
    feb = handled(heating, 20, signed=at(2, 9, 2), contacted=at(2, 11, 2), month=2)
    store_month(2026, 2, now=APRIL)
    store_month(2026, 3, now=APRIL)
    refresh_assessment(now=APRIL)  # computes the current month (April) too
    feb_rows = dict(AssessmentRow.objects.filter(month__month=dt.date(2026, 2, 1)).values_list("office_id", "id"))
    assert refresh_assessment(now=APRIL).recomputed == []  # nothing new: nothing recomputed

    # the center closes water's ticket 3 (assigned in March): an event on a March ticket
    t3 = Ticket.objects.get(number=f"T-{water.id}-3")
    Ticket.objects.filter(pk=t3.pk).update(closed_at=at(10))
    TicketEvent.objects.create(ticket=t3, at=at(10), action="close", from_status="replied", to_status="closed")
    report = refresh_assessment(now=APRIL)
    assert report.recomputed == ["2026-03", "2026-04"]  # the touched month, and the current one
    assert month_tables(2026, 3).unit(water.id).counts["closed"] == 3
    assert month_tables(2026, 3).unit(water.id).score == 35 + 3.75  # 15 × 1/4 more closure points
    # February's rows were left alone: the very same rows
    assert dict(AssessmentRow.objects.filter(month__month=dt.date(2026, 2, 1)).values_list("office_id", "id")) == (
        feb_rows
    )
    assert AssessmentMonth.objects.get(month=dt.date(2026, 2, 1)).computed_at == APRIL
    assert refresh_assessment(now=APRIL).recomputed == []

    # a new lead assignment made in February touches February only (and the current month)
    Assignment.objects.filter(ticket=feb).update(is_active=False)
    Assignment.objects.create(ticket=feb, office=water, role="lead", why="re-dispatch", assigned_at=at(3, 9, 2))
    assert refresh_assessment(now=APRIL).recomputed == ["2026-02", "2026-04"]


def test_a_scheme_change_has_the_supervisor_recompute_that_years_months_AR_2():
    AssessmentMonth.objects.all().delete()  # months a server test's supervisor committed are not this test's world
    water_and_heating_march()
    store_month(2026, 3, now=APRIL)
    store_month(2025, 12, now=APRIL)
    refresh_assessment(now=APRIL)
    from assessment.store import scheme_changed

    scheme(2026)
    assert scheme_changed(year=2026) == 2  # March and April 2026
    assert refresh_assessment(now=APRIL).recomputed == ["2026-03", "2026-04"]
    assert AssessmentMonth.objects.get(month=dt.date(2026, 3, 1)).scheme.year == 2026


def test_the_supervisor_command_refreshes_the_stored_assessment_AR_1():
    AssessmentMonth.objects.all().delete()
    call_command("supervise", "--once", verbosity=0)
    assert AssessmentMonth.objects.count() == 1  # the current month, ready for the pages
    call_command("supervise", "--once", "--no-assessment", verbosity=0)
    assert AssessmentMonth.objects.count() == 1


# -- the drill-down: which tickets cost points [AR-1] ------------------------------------------------


EXPECTED_COSTS = {  # water's March, ticket by ticket (test_assessment.water_and_heating_march)
    "sign_on_time_rate": (2.5, [2]),  # ticket 2 signed at 12:00, due at 10:00
    "contact_rate": (2.5, [3]),
    "reply_on_time_rate": (10, [2, 3]),  # 2 replied on the 8th, due the 7th; 3 never replied
    "closure_rate": (7.5, [3, 4]),
    "reply_quality": (5, [2]),  # its first reply was sent back
    "satisfaction_rate": (17.5, [2]),
    "overdue": (10, [2, 3]),
    "rework": (5, [2]),
    "refused_returns": (5, [4]),
}


def test_the_drill_down_lists_exactly_the_tickets_that_cost_points_AR_1():
    water, heating = water_and_heating_march()
    store_month(2026, 3, now=APRIL)
    stored = month_tables(2026, 3)
    unit = stored.unit(water.id)
    group, office, members = ranked_unit(water.id)
    costs = unit_costs(2026, 3, members, counts=unit.counts, scheme=stored.scheme, now=stored.computed_at)
    got = {c.metric: (c.points, [int(t["number"].rsplit("-", 1)[1]) for t in c.tickets]) for c in costs}
    assert got == EXPECTED_COSTS
    assert sum(p for p, _ in got.values()) == 100 - unit.score  # every point lost is accounted for
    heating_unit = stored.unit(heating.id)
    assert unit_costs(2026, 3, [heating.id], counts=heating_unit.counts, scheme=stored.scheme, now=APRIL) == []


def test_the_drill_down_page_and_its_csv_AR_1(as_user):
    water, _heating = water_and_heating_march()
    store_month(2026, 3, now=APRIL)
    client = as_user("city_dispatcher")
    page = client.get(f"/assessment/2026-03/unit/{water.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert water.name in html and "35.00" in html
    assert f'href="/w/t/T-{water.id}-3/"' in html  # the center may open the ticket
    assert "<svg" in html  # the 6-month trend
    assert f"T-{water.id}-1<" not in html and f"T-{water.id}-5<" not in html  # cost nothing / not its ticket
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/assessment/2026-03/unit/{water.id}/?format=csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[0] == ["metric", "points_lost", "ticket", "received_at", "category", "office"]
    assert len(rows) - 1 == sum(len(t) for _p, t in EXPECTED_COSTS.values())
    assert client.get(f"/assessment/2026-03/unit/{water.id}/?format=pdf").status_code == 400
    month = client.get("/assessment/2026-03/").content.decode()
    assert f'href="/assessment/2026-03/unit/{water.id}/"' in month  # linked from the tables


def test_a_bad_office_on_the_drill_down_is_a_404_with_a_message(as_user):
    client = as_user("city_dispatcher")
    for url, says in [
        ("/assessment/2026-03/unit/abc/", "abc"),
        ("/assessment/2026-03/unit/999999/", "999999"),
        (f"/assessment/2026-03/unit/{Office.objects.get(code='WS-410402002005').id}/", "ranked"),  # a workstation
        ("/assessment/2026-13/unit/31/", "2026-13"),
    ]:
        r = client.get(url)
        assert r.status_code == 404, url
        message = re.search(r'role="alert">(.*?)</p>', r.content.decode(), re.S).group(1)
        assert says in message or "排名" in message, (url, message)
    assert client.get("/assessment/2026-03/?unit=abc").status_code == 400
    assert client.get("/assessment/2026-03/?unit=999999").status_code == 404


# -- who sees it ------------------------------------------------------------------------------------


def test_the_center_sees_every_drill_down_a_unit_only_its_own_and_a_grid_worker_none(as_user):
    water = Office.objects.get(code="DEPT-water")
    heating = Office.objects.get(code="DEPT-heating")
    guangminglu = Office.objects.get(code="TC-410402002")
    mine = handled(water, 1, signed=at(2, 9), month=3)  # signed for, never contacted: costs points
    handled(heating, 1, signed=at(2, 9), month=3)
    for username in ("city_dispatcher", "wall_viewer", "xinhua_dispatcher", "admin"):
        assert as_user(username).get(f"/assessment/2026-03/unit/{water.id}/").status_code == 200, username
    own = as_user("water_handler")
    page = own.get(f"/assessment/2026-03/unit/{water.id}/")
    assert page.status_code == 200 and mine.number in page.content.decode()
    assert "/w/t/" + mine.number in page.content.decode()  # its own ticket: linked
    assert own.get(f"/assessment/2026-03/unit/{heating.id}/").status_code == 403
    assert own.get("/assessment/2026-03/").status_code == 403  # the whole ranking is the center's
    assert own.get("/assessment/2026-03/accountability/").status_code == 403
    assert as_user("guangminglu_handler").get(f"/assessment/2026-03/unit/{guangminglu.id}/").status_code == 200
    assert as_user("guangminglu_handler").get(f"/assessment/2026-03/unit/{water.id}/").status_code == 403
    assert as_user("changqing_grid").get(f"/assessment/2026-03/unit/{water.id}/").status_code == 403
    assert as_user("changqing_head").get(f"/assessment/2026-03/unit/{guangminglu.id}/").status_code == 403
    assert as_user("heating_handler").get(f"/assessment/2026-03/unit/{water.id}/?format=csv").status_code == 403


def test_a_not_logged_in_visitor_is_sent_to_log_in(client):
    assert client.get("/assessment/2026-03/unit/31/").status_code == 302


# -- month over month [AR-2] --------------------------------------------------------------------------


def test_arrows_compare_rank_and_score_with_the_previous_month_AR_2(as_user):
    first, second, third = Office.objects.filter(kind=Office.Kind.DEPARTMENT).order_by("code")[:3]
    for month, (best, worst) in ((2, (first, second)), (3, (second, first))):
        handled(
            best,
            30 + month,
            signed=at(2, 9, month),
            contacted=at(2, 11, month),
            replied=at(4, 9, month),
            closed=at(5, 9, month),
            satisfaction="satisfied",
            month=month,
        )  # 100
        handled(worst, 30 + month, signed=at(2, 12, month), month=month)  # late, never contacted or closed: 45
    handled(third, 33, signed=at(2, 9, 3), month=3)  # 55, and its first month with tickets: new
    now = month_tables(2026, 3).tables
    before = month_tables(2026, 2).tables
    changes = month_over_month(now, before)
    s_before = {u.office_id: u.score for u in before["departments"] if u.score is not None}
    s_now = {u.office_id: u.score for u in now["departments"] if u.score is not None}
    assert (s_before[first.id], s_before[second.id]) == (100, 45)
    assert (s_now[second.id], s_now[third.id], s_now[first.id]) == (100, 55, 45)
    assert (changes[second.id].rank, changes[second.id].score) == (1, 55)  # 2nd → 1st
    assert (changes[first.id].rank, changes[first.id].score) == (-2, -55)  # 1st → 3rd
    assert changes[third.id].new
    html = as_user("city_dispatcher").get("/assessment/2026-03/").content.decode()

    def row(office):
        return re.search(rf'<tr data-office="{office.id}".*?</tr>', html, re.S).group(0)

    assert 'class="up"' in row(second) and "▲1" in row(second)
    assert 'class="down"' in row(first) and "▼2<" in row(first) and "▼55.00" in row(first)
    assert 'class="new"' in row(third)
    assert "<svg" in html  # the groups' bar charts
    trend = as_user("city_dispatcher").get(f"/assessment/2026-03/?unit={second.id}").content.decode()
    assert 'id="trend"' in trend and "<polyline" in trend


def test_the_public_page_reads_the_stored_month_and_publishes_nothing_for_months_not_over_AR_2(client):
    water, heating = water_and_heating_march()
    store_month(2026, 3, now=APRIL)
    html = client.get("/assessment/public/2026-03/").content.decode()
    assert heating.name in html and water.name in html and "35.0" in html
    assert client.get("/assessment/public/2099-01/").status_code == 404
    assert not AssessmentMonth.objects.filter(month=dt.date(2099, 1, 1)).exists()
