"""[CT-3] A unit's "three fixed" contact (三固定): fixed number, fixed person, fixed hours — shown when the
console brings the unit into a call or calls it, with a warning outside its hours."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from grid.models import Office


def hours_label(office: Office) -> str:
    if office.contact_hours_from is None or office.contact_hours_to is None:
        return ""
    span = f"{office.contact_hours_from:%H:%M}–{office.contact_hours_to:%H:%M}"
    return (
        _("weekdays %(span)s") % {"span": span}
        if office.contact_weekdays_only
        else _("daily %(span)s") % {"span": span}
    )


def unit_contact(office: Office, *, at: dt.datetime | None = None) -> dict:
    """The unit's three-fixed contact and whether `at` (now) is within its fixed hours."""
    local = timezone.localtime(at or timezone.now())
    in_hours = office.in_contact_hours(local)
    hours = hours_label(office)
    warning = ""
    if in_hours is False:
        warning = _("Outside %(office)s's fixed hours (%(hours)s): %(person)s may not answer.") % {
            "office": office.name,
            "hours": hours,
            "person": office.contact_person or _("the fixed person"),
        }
    return {
        "office": office.code,
        "name": office.name,
        "number": office.phone,
        "person": office.contact_person,
        "hours": hours,
        "in_hours": in_hours,
        "warning": warning,
    }
