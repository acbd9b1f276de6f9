"""Monthly assessment [AR-1][AR-2][AR-3]: a hand-computed month, the streak rules, and page scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from assessment.metrics import assess_month, escalation, talk_flags
from assessment.models import AssessmentMonth
from assessment.store import refresh_assessment
from dispatch.models import Assignment, HandlingRound, Reply, Ticket, TicketEvent
from grid.models import Office

TZ = timezone.get_current_timezone()


def at(day: int, hour: int = 9, month: int = 3, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def handled(
    office,
    n,
    *,
    signed=None,
    contacted=None,
    replied=None,
    resolve_by=None,
    closed=None,
    state="signed",
    returned_at=None,
    satisfaction="",
    overdue=False,
    reviews=(),
    rework=False,
    month=3,
    year=2026,
):
    t = Ticket.objects.create(
        number=f"T-{office.id}-{n}",
        channel="phone",
        kind="complaint",
        description="x",
        status="in_progress",
        received_at=at(2, month=month, year=year),
        sign_by=at(2, 10, month=month, year=year),
        resolve_by=resolve_by or at(7, month=month, year=year),
        contacted_at=contacted,
        replied_at=replied,
        closed_at=closed,
        satisfaction=satisfaction,
        callback_at=(closed or at(10, month=month, year=year)) + dt.timedelta(hours=1) if satisfaction else None,
        overdue_at=at(8, month=month, year=year) if overdue else None,
    )
    a = Assignment.objects.create(
        ticket=t,
        office=office,
        role="lead",
        state=state,
        why="test",
        assigned_at=at(2, month=month, year=year),
        signed_at=signed,
        replied_at=replied,
        return_requested_at=returned_at,
    )
    for i, review in enumerate(reviews):
        Reply.objects.create(
            ticket=t,
            assignment=a,
            office=office,
            role="lead",
            step=1,
            facts="f",
            result="r",
            basis="b",
            signer="s",
            handler_name="h",
            replied_at=at(4, 9 + i, month, year),
            review=review,
        )
    if rework:  # the callback found the result unsatisfying: a second round, of rework [SLA-4]
        HandlingRound.objects.create(ticket=t, step=2, kind="rework", started_at=at(9, month=month, year=year))
        TicketEvent.objects.create(
            ticket=t,
            at=at(9, month=month, year=year),
            action="rework",
            from_status="callback_manual",
            to_status="dispatched",
        )
    return t


def water_and_heating_march():
    """The hand-computed scenario: two departments' March 2026 (see the test below for every figure)."""
    water, heating = Office.objects.filter(kind=Office.Kind.DEPARTMENT, area_code="410400").order_by("code")[:2]
    handled(
        water,
        1,
        signed=at(2, 9),
        contacted=at(2, 11),
        replied=at(4),
        closed=at(5),
        satisfaction="satisfied",
        reviews=["accepted"],
    )
    handled(
        water,
        2,
        signed=at(2, 12),
        contacted=at(3),
        replied=at(8),
        closed=at(9),
        satisfaction="unsatisfied",
        overdue=True,
        reviews=["sent_back", "accepted"],
        rework=True,
    )
    handled(water, 3, signed=at(2, 9), overdue=True)  # never replied, deadline 7 March passed
    handled(
        water, 4, signed=at(2, 9), contacted=at(2, 11), replied=at(5), returned_at=at(2, 9), reviews=["pending"]
    )  # return refused by the center
    handled(water, 5, state="returned", returned_at=at(2, 9))  # return approved: not the unit's ticket
    handled(
        heating,
        1,
        signed=at(2, 9),
        contacted=at(2, 11),
        replied=at(4),
        closed=at(5),
        satisfaction="basic",
        reviews=["accepted"],
    )
    return water, heating


@pytest.mark.django_db
def test_hand_computed_month_every_metric_and_the_ranking_AR_1_AR_2_AR_3():
    water, heating = water_and_heating_march()

    tables = assess_month(2026, 3, now=at(15, month=4))
    depts = {u.office_id: u for u in tables["departments"]}
    w = depts[water.id]
    assert w.counts == {
        "handled": 4,
        "signed_on_time": 3,
        "contacted": 3,
        "due": 4,
        "replied_on_time": 2,
        "closed": 2,
        "reviewed": 2,
        "accepted_first": 1,
        "returns": 2,
        "refused_returns": 1,
        "extensions": 0,
        "reworked": 1,
        "overdue": 2,
        "repeats": 0,
        "callbacks": 2,
        "satisfied": 1,
    }
    assert w.rates == {
        "sign_on_time_rate": 0.75,
        "contact_rate": 0.75,
        "reply_on_time_rate": 0.5,
        "closure_rate": 0.5,
        "reply_quality": 0.5,
        "satisfaction_rate": 0.5,
    }
    # 7.5 + 7.5 + 10 + 7.5 + 5 + 17.5 = 55; penalties overdue 10 (capped), rework 5, refused return 5
    assert w.penalties == {"overdue": 10, "rework": 5, "refused_returns": 5, "repeats": 0}
    assert w.score == 35
    assert depts[heating.id].score == 100
    assert [(u.office_id, u.rank) for u in tables["departments"][:2]] == [(heating.id, 1), (water.id, 2)]
    assert all(u.rank is None for u in tables["departments"][2:])  # no tickets, not ranked
    assert w.talk and not depts[heating.id].talk  # 35 < 85% of 100 [AR-3]


def test_last_county_below_90_percent_of_top_is_summoned_AR_3():
    assert talk_flags("counties", [(1, 95), (2, 90), (3, 85)]) == [3]
    assert talk_flags("counties", [(1, 95), (2, 90), (3, 86)]) == []
    assert talk_flags("central_districts", [(1, 80), (2, 71)]) == [2]


def test_last_two_departments_and_townships_below_85_percent_AR_3():
    assert talk_flags("departments", [(1, 100), (2, 90), (3, 84), (4, 80)]) == [3, 4]
    assert talk_flags("central_townships", [(1, 100), (2, 90), (3, 86), (4, 80)]) == [4]


def test_streaks_two_in_a_row_or_three_in_a_year_mean_a_talk_with_the_chief_AR_3():
    assert escalation([False, True], 1) == "talk"
    assert escalation([True, True], 2) == "chief_talk"
    assert escalation([True, False, True, False, True], 3) == "chief_talk"
    assert escalation([True, True], 0) == "chief_talk"
    assert escalation([True, False], 1) == ""


def test_streaks_three_in_a_row_or_five_in_a_year_mean_a_public_statement_AR_3():
    assert escalation([True, True, True], 3) == "public_statement"
    assert escalation([True, False, True, False, True, False, True, False, True], 5) == "public_statement"
    assert escalation([False, True, True], 4) == "chief_talk"


@pytest.mark.django_db
def test_center_sees_the_month_page_and_a_grid_worker_is_denied(as_user):
    r = as_user("city_dispatcher").get("/assessment/2026-03/")
    assert r.status_code == 200
    assert "光明路街道" in r.content.decode()
    assert as_user("changqing_grid").get("/assessment/2026-03/").status_code == 403


@pytest.mark.django_db
def test_a_month_that_does_not_exist_is_404_not_500(as_user):
    client = as_user("city_dispatcher")
    assert client.get("/assessment/2026-13/").status_code == 404
    assert client.get("/assessment/march/").status_code == 404


@pytest.mark.django_db
def test_pdf_and_excel_downloads_open(as_user, tmp_path):
    import io
    import subprocess

    from openpyxl import load_workbook
    from PIL import Image

    water = Office.objects.filter(kind=Office.Kind.DEPARTMENT, area_code="410400").order_by("code").first()
    handled(water, 1, signed=at(2, 9), contacted=at(2, 11), replied=at(4), closed=at(5), satisfaction="satisfied")
    client = as_user("city_dispatcher")
    xlsx = client.get("/assessment/2026-03/?format=xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    assert wb["市直单位"]["B2"].value == water.name
    pdf = client.get("/assessment/2026-03/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "m.pdf").write_bytes(pdf.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", tmp_path / "m.pdf", tmp_path / "p"], check=True
    )
    page = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    lo, hi = page.getextrema()
    assert lo < 100 and hi > 200  # ink on paper, not a blank page
    from pathlib import Path

    Path("tests/artifacts").mkdir(exist_ok=True)
    page.save("tests/artifacts/assessment-month-page1.png")
    assert client.get("/assessment/2026-03/?format=doc").status_code == 400


@pytest.mark.django_db
def test_the_month_page_reads_the_stored_month_and_follows_new_events_after_a_refresh_AR_1(as_user):
    client = as_user("city_dispatcher")
    heating = Office.objects.filter(kind=Office.Kind.DEPARTMENT, area_code="410400").order_by("code")[1]
    before = client.get("/assessment/2026-03/").content.decode()
    assert "100.00" not in before
    stored = AssessmentMonth.objects.get(month=dt.date(2026, 3, 1))
    handled(heating, 7, signed=at(2, 9), contacted=at(2, 11), replied=at(4), closed=at(5), satisfaction="basic")
    TicketEvent.objects.create(
        ticket=Ticket.objects.get(number=f"T-{heating.id}-7"),
        at=at(5),
        action="accept_reply",
        from_status="replied",
        to_status="closed",
    )
    assert "100.00" not in client.get("/assessment/2026-03/").content.decode()  # a page load is a read
    assert AssessmentMonth.objects.get(month=dt.date(2026, 3, 1)).computed_at == stored.computed_at
    report = refresh_assessment()  # the supervisor's step
    assert "2026-03" in report.recomputed
    after = client.get("/assessment/2026-03/").content.decode()
    assert "100.00" in after


@pytest.mark.django_db
def test_two_talks_in_a_row_escalate_to_the_chief_and_export_as_csv_AR_3(as_user):
    water, heating = Office.objects.filter(kind=Office.Kind.DEPARTMENT, area_code="410400").order_by("code")[:2]
    for month in (2, 3):
        handled(water, 10 + month, signed=at(2, 12, month), overdue=True, month=month)  # late, never replied
        handled(
            heating,
            10 + month,
            signed=at(2, 9, month),
            contacted=at(2, 11, month),
            replied=at(4, 9, month),
            closed=at(5, 9, month),
            satisfaction="satisfied",
            reviews=["accepted"],
            month=month,
        )
    client = as_user("city_dispatcher")
    page = client.get("/assessment/2026-03/accountability/")
    assert page.status_code == 200
    assert "与单位主要负责人约谈" in page.content.decode() or "chief" in page.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(client.get("/assessment/2026-03/accountability/?format=csv").content.decode("utf-8-sig"))
        )
    )
    assert rows[0][0] == "group"
    assert [r[1] for r in rows[1:]] == [water.name]
    assert rows[1][4:6] == ["2", "2"]  # two months in a row, two talks this year
    assert as_user("changqing_grid").get("/assessment/2026-03/accountability/").status_code == 403


@pytest.mark.django_db
def test_public_page_needs_no_login_and_shows_no_caller_data_or_ticket_text_AR_2(client):
    """[PUB-1] the month's ranking and satisfaction are published: no login, no caller data, no ticket text."""
    water = Office.objects.filter(kind=Office.Kind.DEPARTMENT, area_code="410400").order_by("code").first()
    t = handled(water, 1, signed=at(2, 9), contacted=at(2, 11), replied=at(4), closed=at(5), satisfaction="basic")
    Ticket.objects.filter(pk=t.pk).update(caller_name="王芳", caller_phone="13812341234", description="楼下下水道堵了")
    page = client.get("/assessment/public/2026-03/")
    assert page.status_code == 200
    html = page.content.decode()
    assert water.name in html and "100%" in html
    assert "王芳" not in html and "1381234" not in html and "下水道" not in html
    assert client.get("/assessment/public/2026-00/").status_code == 404
    assert client.get("/assessment/2026-03/").status_code == 302  # the full assessment needs a login
