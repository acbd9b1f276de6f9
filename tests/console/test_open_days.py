"""[CT-4] Besides leaders' answering days, the schedule keeps deputies' days and the hotline's open days
(热线开放日, at least two a year): the console lists them with their kind and books callers on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from console.models import LeaderDay

pytestmark = pytest.mark.django_db


def test_open_days_are_listed_with_their_kind_and_bookable(seats, as_user, users):
    today = timezone.localdate()
    center = users["city_calltaker"].office
    for offset in (3, 10):
        LeaderDay.objects.create(
            kind=LeaderDay.Kind.OPEN_DAY, leader=users["city_leader"], office=center,
            day=today + dt.timedelta(days=offset), topics="市民走进12345",
        )  # fmt: skip
    client = as_user("city_calltaker")
    days = client.get("/api/console/leader-days/").json()
    open_days = [d for d in days if d["kind"] == "open_day"]
    assert len(open_days) == 2 and open_days[0]["kind_label"] and open_days[0]["topics"] == "市民走进12345"
    r = client.post(
        f"/api/console/leader-days/{open_days[0]['id']}/bookings",
        {"caller_phone": "13700002222", "topic": "想参观热线中心"},
        content_type="application/json",
    )
    assert r.status_code == 201
    assert LeaderDay.objects.filter(kind="open_day", day__year=today.year).count() >= 1
    # another sub-center's agent does not see the city center's open days
    assert all(d["kind"] != "open_day" for d in as_user("ruzhou_calltaker").get("/api/console/leader-days/").json())
    assert as_user("changqing_grid").get("/api/console/leader-days/").status_code == 403
