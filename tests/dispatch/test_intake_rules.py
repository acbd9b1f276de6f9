"""Who files a ticket, through which channel, at which time, where [IN-1][ORG-5]; idempotency keys
belong to their client. Each case is a finding of the outside probe (issue 18) that used to be a 201."""

import pytest

from dispatch.models import Ticket
from tests.dispatch.test_intake_api import payload, post
from tests.helpers import RUZHOU, label

pytestmark = pytest.mark.django_db


def test_a_grid_worker_cannot_file_a_phone_ticket_in_another_county_backdated(as_user):
    """The probe's finding: changqing_grid posting channel phone, a point in 汝州 and a September time."""
    lon, lat = label(RUZHOU)
    resp = post(
        as_user("changqing_grid"),
        payload(channel="phone", lon=lon, lat=lat, received_at="2026-09-01T09:00:00+08:00"),
    )
    assert resp.status_code == 400
    assert "channel" in resp.json()
    assert not Ticket.objects.filter(received_at__date="2026-09-01").exists()


def test_a_grid_worker_files_patrol_reports_in_its_own_community_only(as_user):
    grid = as_user("changqing_grid")
    assert post(grid, payload(channel="grid_worker")).status_code == 201
    lon, lat = label(RUZHOU)
    outside = post(grid, payload(channel="grid_worker", lon=lon, lat=lat))
    assert outside.status_code == 400 and "location" in outside.json()
    assert "长青社区" in str(outside.json()["location"])


def test_a_grid_worker_cannot_set_the_time_of_receipt(as_user):
    resp = post(as_user("changqing_grid"), payload(channel="grid_worker", received_at="2026-09-01T09:00:00+08:00"))
    assert resp.status_code == 400 and "received_at" in resp.json()


@pytest.mark.parametrize("user", ["water_handler", "wall_viewer"])
def test_departments_and_viewers_file_nothing(as_user, user):
    resp = post(as_user(user), payload(channel="phone"))
    assert resp.status_code == 403 and resp.json()["code"] == "may_not_file"


def test_the_center_sets_the_time_only_for_a_hand_over_that_carries_it(as_user):
    center = as_user("city_dispatcher")
    phone = post(center, payload(channel="phone", received_at="2026-11-30T09:00:00+08:00"))
    assert phone.status_code == 400 and "received_at" in phone.json()
    handed = post(center, payload(channel="national_platform", received_at="2026-11-30T09:00:00+08:00"))
    assert handed.status_code == 201, handed.json()
    t = Ticket.objects.get(number=handed.json()["number"])
    assert t.received_at.isoformat().startswith("2026-11-30T01:00:00")


def test_an_idempotency_key_belongs_to_its_client(as_user):
    """Another user's key never replays their ticket, nor names it in a 409."""
    first = post(as_user("city_dispatcher"), payload(), HTTP_IDEMPOTENCY_KEY="shared-key-1")
    assert first.status_code == 201
    again = post(as_user("city_dispatcher"), payload(), HTTP_IDEMPOTENCY_KEY="shared-key-1")
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    other = post(
        as_user("xinhua_dispatcher"),
        payload(description="另一个人的请求，楼道灯坏了很久"),
        HTTP_IDEMPOTENCY_KEY="shared-key-1",
    )
    assert other.status_code == 201
    assert other.json()["number"] != first.json()["number"]
    assert first.json()["number"] not in other.content.decode()
