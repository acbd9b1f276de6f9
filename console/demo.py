"""The console's demo set-up: a seat (extension) and today's shift for each demo call-taker, a leader's
seat and answering day [CT-4], demo three-fixed numbers for the units [CT-3], and the demo PBX token."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from grid.models import Office, User

from .models import LeaderDay, Seat, Shift
from .services import ensure_demo_token

# username → (extension, leader's seat)
DEMO_SEATS = {
    "city_calltaker": ("8001", False),
    "city_calltaker2": ("8002", False),
    "city_leader": ("8009", True),
    "ruzhou_calltaker": ("8101", False),
}


@transaction.atomic
def ensure_demo_console(*, today: dt.date | None = None) -> dict:
    """Idempotent: seats, shifts, the leader's day, unit numbers; returns what it made (and the token)."""
    today = today or timezone.localdate()
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_SEATS).select_related("office")}
    seats = 0
    for username, (extension, leader) in DEMO_SEATS.items():
        user = users.get(username)
        if user is None or user.office is None:
            continue
        Seat.objects.update_or_create(
            extension=extension, defaults={"office": user.office, "agent": user, "is_leader_seat": leader}
        )
        seats += 1
        start = timezone.make_aware(dt.datetime.combine(today, dt.time(8)))
        Shift.objects.get_or_create(
            agent=user, office=user.office, starts_at=start, defaults={"ends_at": start + dt.timedelta(hours=12)}
        )
        if leader:
            LeaderDay.objects.get_or_create(
                leader=user, day=today, defaults={"office": user.office, "topics": "城市管理、供暖供水、物业"}
            )
    # [CT-3] every unit keeps a fixed number for three-way calls: demo numbers where none is set
    # and a fixed person and hours (weekdays 8:30–17:30) where none are kept
    # One statement: saving 3,000 offices one by one took seconds (the routing table does not read phones).
    phones = Office.objects.filter(phone="", is_active=True).update(
        phone=Concat(Value("0375-"), Cast(F("id") + 3000000, output_field=CharField()))
    )
    Office.objects.filter(is_active=True, contact_hours_from__isnull=True).update(
        contact_hours_from=dt.time(8, 30), contact_hours_to=dt.time(17, 30), contact_weekdays_only=True
    )
    Office.objects.filter(is_active=True, contact_person="").update(contact_person="值班联络员")
    return {"seats": seats, "unit_numbers": phones, "token": ensure_demo_token()}
