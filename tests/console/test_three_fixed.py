"""[CT-3] A unit's "three fixed" contact (三固定): fixed number, person and hours, given when the console
calls the unit or brings it into a call, with a warning outside its hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from console.services import CtiEvent, record_cti_event
from console.threefixed import unit_contact
from grid.models import Office
from tests.helpers import CHANGQING, make_ticket

pytestmark = pytest.mark.django_db

MONDAY_10 = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 0))
MONDAY_20 = timezone.make_aware(dt.datetime(2026, 12, 7, 20, 0))
SATURDAY_10 = timezone.make_aware(dt.datetime(2026, 12, 12, 10, 0))


def keep_hours(office: Office, start: dt.time, end: dt.time, *, weekdays_only: bool = True, person: str = "刘科长"):
    office.contact_person, office.contact_hours_from, office.contact_hours_to = person, start, end
    office.contact_weekdays_only = weekdays_only
    office.save()
    return office


def test_the_fixed_hours_decide_the_warning(users):
    office = keep_hours(Office.objects.get(code="DEPT-water"), dt.time(8, 30), dt.time(17, 30))
    inside = unit_contact(office, at=MONDAY_10)
    assert inside["in_hours"] is True and inside["warning"] == "" and inside["person"] == "刘科长"
    assert "08:30–17:30" in inside["hours"] and inside["number"] == office.phone
    late = unit_contact(office, at=MONDAY_20)
    assert late["in_hours"] is False and "刘科长" in late["warning"] and "08:30–17:30" in late["warning"]
    assert unit_contact(office, at=SATURDAY_10)["in_hours"] is False  # weekdays only
    office.contact_weekdays_only = False
    assert unit_contact(office, at=SATURDAY_10)["in_hours"] is True
    office.contact_hours_from = None
    assert unit_contact(office, at=MONDAY_20) | {"number": ""} == unit_contact(office, at=MONDAY_10) | {"number": ""}
    assert unit_contact(office, at=MONDAY_20)["in_hours"] is None  # no hours kept: no warning either


def test_calling_the_unit_outside_its_hours_warns_the_call_taker(seats, as_user):
    ticket = make_ticket(code=CHANGQING)
    lead = ticket.assignments.get(role="lead").office
    lead.phone = lead.phone or "0375-1234567"
    keep_hours(lead, dt.time(0, 0), dt.time(0, 0))  # an empty window: now is always outside
    client = as_user("city_calltaker")
    r = client.post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "unit"}, content_type="application/json"
    )
    assert r.status_code == 201
    contact = r.json()["contact"]
    assert contact["office"] == lead.code and contact["person"] == "刘科长" and contact["in_hours"] is False
    assert contact["warning"]
    # the caller's number is no unit: no contact card
    r = client.post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "caller"}, content_type="application/json"
    )
    assert r.status_code == 201 and "contact" not in r.json()


def test_a_three_way_call_within_the_hours_shows_the_fixed_person(seats, as_user):
    ticket = make_ticket(code=CHANGQING)
    lead = ticket.assignments.get(role="lead").office
    lead.phone = lead.phone or "0375-1234567"
    keep_hours(lead, dt.time(0, 0), dt.time(23, 59, 59), weekdays_only=False, person="赵主任")
    record_cti_event(CtiEvent("ringing", "c-3f", caller="13900001111", extension="8001"))
    record_cti_event(CtiEvent("answered", "c-3f", extension="8001"))
    r = as_user("city_calltaker").post(
        "/api/console/calls/c-3f/three-way", {"office": lead.code}, content_type="application/json"
    )
    assert r.status_code == 200
    c = r.json()["contact"]
    assert (c["person"], c["in_hours"], c["warning"], c["number"]) == ("赵主任", True, "", lead.phone)


def test_a_grid_worker_gets_no_three_fixed_contact(seats, as_user):
    ticket = make_ticket(code=CHANGQING)
    r = as_user("changqing_grid").post(
        "/api/console/outbound", {"ticket": ticket.number, "target": "unit"}, content_type="application/json"
    )
    assert r.status_code == 403 and "contact" not in r.json()
