"""Spike alerts: raised by the supervisor once per category × township × day, answered by the
center with a fast report due 2 hours after detection, late reports flagged [AN-1]."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from alerts import services
from alerts.models import SpikeAlert
from core.jobs import run_jobs
from dispatch.models import Category, Ticket

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
DAY = dt.date(2026, 3, 20)
GUANGMINGLU = "410402002"  # 光明路街道, 新华区
NOW = dt.datetime.combine(DAY, dt.time(15), tzinfo=TZ)
REPORT = "光明路街道新建路一带下水道堵塞集中报修，已通知市政排水处抢修，预计今晚疏通，网格员现场值守。"


def tickets(category, township, day, n, tag):
    for i in range(n):
        Ticket.objects.create(
            number=f"SA-{tag}-{day:%m%d}-{i}",
            channel="phone",
            kind="complaint",
            description="x",
            status="archived",
            category=category,
            county_code=township[:6],
            township_code=township,
            received_at=dt.datetime.combine(day, dt.time(8 + i % 6, i), tzinfo=TZ),
        )


@pytest.fixture
def drains():
    """About one drain ticket a week in 光明路街道 for four weeks, then nine on DAY."""
    cat = Category.objects.get(code="0101")
    for back in range(1, 29, 7):
        tickets(cat, GUANGMINGLU, DAY - dt.timedelta(days=back), 1, "base")
    tickets(cat, GUANGMINGLU, DAY, 9, "spike")
    return cat


def raised(**kw) -> SpikeAlert:
    return SpikeAlert.objects.get(**kw)


def test_the_supervisor_raises_a_flare_once_per_category_township_and_day_AN_1(drains):
    assert run_jobs(now=NOW)["spike_alerts"] == "1 raised"  # a job of every supervisor pass
    alert = raised(category=drains, township_code=GUANGMINGLU, day=DAY)
    assert (alert.count, alert.first_count, alert.county_code, alert.state) == (9, 9, "410402", "open")
    assert alert.report_due == NOW + dt.timedelta(hours=2)
    assert alert.pushed_at is None  # the walls are told by a web server's ticker
    # The next passes raise nothing new; more tickets only bring the count up to date.
    assert run_jobs(now=NOW + dt.timedelta(minutes=1), skip={"assessment"})["spike_alerts"] == "0 raised"
    tickets(drains, GUANGMINGLU, DAY, 3, "more")
    assert run_jobs(now=NOW + dt.timedelta(minutes=2), skip={"assessment"})["spike_alerts"] == "0 raised"
    alert.refresh_from_db()
    assert (SpikeAlert.objects.count(), alert.count, alert.first_count) == (1, 12, 9)
    assert alert.report_due == NOW + dt.timedelta(hours=2)  # the deadline runs from the first detection


def test_the_same_key_cannot_be_stored_twice_AN_1(drains):
    services.raise_spike_alerts(day=DAY, now=NOW)
    from django.db import IntegrityError, transaction

    alert = SpikeAlert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SpikeAlert.objects.create(
            category=drains,
            township_code=GUANGMINGLU,
            day=DAY,
            count=1,
            first_count=1,
            baseline_mean=0,
            baseline_sd=0,
            detected_at=NOW,
            report_due=NOW,
        )
    assert SpikeAlert.objects.get() == alert


def test_acknowledge_then_report_through_the_api_AN_1(drains, as_user):
    services.raise_spike_alerts(day=DAY, now=NOW)
    alert = SpikeAlert.objects.get()
    client = as_user("city_dispatcher")
    r = client.post(f"/api/spikes/{alert.id}/acknowledge/")
    assert r.status_code == 200, r.content
    assert r.json()["acknowledged_by"] and r.json()["state"] == "open"
    short = client.post(f"/api/spikes/{alert.id}/report/", {"text": "已知悉"}, content_type="application/json")
    assert short.status_code == 400 and "text" in short.json()
    r = client.post(f"/api/spikes/{alert.id}/report/", {"text": REPORT}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["report_text"], body["seconds_left"]) == ("reported", REPORT, None)
    again = client.post(f"/api/spikes/{alert.id}/report/", {"text": REPORT}, content_type="application/json")
    assert again.status_code == 409 and "detail" in again.json()


def test_who_sees_and_who_answers_a_flare_AN_1(drains, as_user):
    services.raise_spike_alerts(day=DAY, now=NOW)
    alert = SpikeAlert.objects.get()
    seen = {
        u: [a["id"] for a in as_user(u).get("/api/spikes/").json()]
        for u in ("wall_viewer", "xinhua_dispatcher", "guangminglu_handler", "ruzhou_dispatcher", "xiatang_handler")
    }
    assert seen == {
        "wall_viewer": [alert.id],
        "xinhua_dispatcher": [alert.id],  # the county's dispatch center
        "guangminglu_handler": [alert.id],  # the township itself
        "ruzhou_dispatcher": [],
        "xiatang_handler": [],
    }
    for u in ("changqing_grid", "water_handler"):  # a community or a department: not a township-wide matter
        assert as_user(u).get("/api/spikes/").json() == []
        assert as_user(u).get(f"/api/spikes/{alert.id}/").status_code == 404
    assert as_user("xiatang_handler").post(f"/api/spikes/{alert.id}/acknowledge/").status_code == 404
    # Seeing is not answering: the viewer and the township's handler may not file the report.
    for u in ("wall_viewer", "guangminglu_handler"):
        r = as_user(u).post(f"/api/spikes/{alert.id}/report/", {"text": REPORT}, content_type="application/json")
        assert r.status_code == 403, u
    assert as_user("xinhua_dispatcher").post(f"/api/spikes/{alert.id}/acknowledge/").status_code == 200
    assert as_user("xinhua_dispatcher").get("/api/spikes/", {"state": "open"}).json()[0]["acknowledged_by"]


def test_a_report_still_owed_after_two_hours_is_flagged_and_a_late_one_stays_flagged_AN_1(drains, as_user):
    services.raise_spike_alerts(day=DAY, now=NOW)
    alert = SpikeAlert.objects.get()
    client = as_user("city_dispatcher")
    # The test runs long after DAY: the report is overdue now.
    body = client.get("/api/spikes/", {"overdue": "true"}).json()
    assert [a["id"] for a in body] == [alert.id] and body[0]["report_overdue"] and body[0]["seconds_left"] < 0
    page = client.get("/briefings/spikes/").content.decode()
    assert 'class="state-open overdue"' in page and 'id="overdue-count"' in page
    services.file_spike_report(alert=alert, by=alert_user("city_dispatcher"), text=REPORT)
    late = client.get(f"/api/spikes/{alert.id}/").json()
    assert late["state"] == "reported" and late["report_overdue"]  # reported after report_due
    # A report filed in time is not flagged.
    other = Category.objects.get(code="0401")
    tickets(other, GUANGMINGLU, timezone.localdate(), 9, "now")
    [fresh] = services.raise_spike_alerts()
    assert not client.get(f"/api/spikes/{fresh.id}/").json()["report_overdue"]
    services.file_spike_report(alert=fresh, by=alert_user("city_dispatcher"), text=REPORT)
    on_time = client.get(f"/api/spikes/{fresh.id}/").json()
    assert on_time["state"] == "reported" and not on_time["report_overdue"]
    assert [a["id"] for a in client.get("/api/spikes/", {"overdue": "false"}).json()] == [fresh.id]


def alert_user(username):
    from grid.models import User

    return User.objects.select_related("office").get(username=username)


def test_the_center_page_acknowledges_reports_and_dismisses_AN_1(drains, as_user):
    services.raise_spike_alerts(day=DAY, now=NOW)
    tickets(Category.objects.get(code="0401"), GUANGMINGLU, DAY, 9, "park")
    services.raise_spike_alerts(day=DAY, now=NOW)
    drain_alert, parking_alert = SpikeAlert.objects.order_by("category__code")
    client = as_user("city_dispatcher")
    r = client.post(f"/briefings/spikes/{drain_alert.id}/", {"action": "acknowledge"})
    assert r.status_code == 302 and r["Location"].endswith(f"#spike-{drain_alert.id}")
    short = client.post(f"/briefings/spikes/{drain_alert.id}/", {"action": "report", "text": "收到"}, follow=True)
    assert "至少" in short.content.decode() or "at least" in short.content.decode()
    client.post(f"/briefings/spikes/{drain_alert.id}/", {"action": "report", "text": REPORT})
    client.post(f"/briefings/spikes/{parking_alert.id}/", {"action": "dismiss", "reason": "同一车主重复来电，非舆情"})
    drain_alert.refresh_from_db(), parking_alert.refresh_from_db()
    assert (drain_alert.state, drain_alert.report_text, drain_alert.acknowledged_by.username) == (
        "reported",
        REPORT,
        "city_dispatcher",
    )
    assert (parking_alert.state, parking_alert.dismissed_reason) == ("dismissed", "同一车主重复来电，非舆情")
    page = client.get("/briefings/spikes/").content.decode()
    assert REPORT in page and "同一车主重复来电" in page
    # A grid worker and a department have no flare list; a viewer sees it but has no forms.
    assert as_user("changqing_grid").get("/briefings/spikes/").status_code == 403
    assert as_user("water_handler").get("/briefings/spikes/").status_code == 403
    assert (
        as_user("wall_viewer").post(f"/briefings/spikes/{drain_alert.id}/", {"action": "acknowledge"}).status_code
        == 403
    )


def test_the_list_api_validates_its_filters(as_user):
    client = as_user("city_dispatcher")
    for query, field in (
        ({"day": "yesterday"}, "day"),
        ({"state": "burning"}, "state"),
        ({"township": "x1"}, "township"),
        ({"overdue": "maybe"}, "overdue"),
    ):
        r = client.get("/api/spikes/", query)
        assert r.status_code == 400 and field in r.json(), query
    assert client.get("/api/spikes/999999/").status_code == 404
    assert (
        client.post("/api/spikes/999999/report/", {"text": REPORT}, content_type="application/json").status_code == 404
    )
    assert client.post("/api/spikes/1/dismiss/", {}, content_type="application/json").status_code == 400


def test_the_admin_lists_alerts_read_only(drains, as_user):
    services.raise_spike_alerts(day=DAY, now=NOW)
    admin = as_user("admin")
    page = admin.get("/admin/alerts/spikealert/")
    assert page.status_code == 200 and GUANGMINGLU in page.content.decode()
    assert admin.get("/admin/alerts/spikealert/add/").status_code == 403
