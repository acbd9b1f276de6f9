"""Writes of spike alerts [AN-1]: raised by the supervisor once per category × township × day,
acknowledged by a dispatcher, answered with the fast report (due 2 hours after detection) or
dismissed with a reason.

Raising only stores the alert (a job of the supervisor); a web process's pusher
pushes it to the walls (maps.services.push_spike_alerts), so the push reaches the
sockets whichever process raised it, with or without a shared channel layer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.detection import detect_spikes
from alerts.models import SpikeAlert
from alerts.selectors import spikes_visible_to
from core.api import NotFound
from dispatch import policy
from dispatch.exceptions import NotPermitted, RuleViolation, TransitionNotAllowed
from grid.models import Area

if TYPE_CHECKING:
    from grid.models import User

REPORT_MIN_CHARS = 20  # a one-line "noted" is not a report [HD-2]
REPORT_MAX_CHARS = 5000


def raise_spike_alerts(*, day: dt.date | None = None, now: dt.datetime | None = None) -> list[SpikeAlert]:
    """Detect today's spikes and store each category × township × day once [AN-1]; an alert already
    raised only has its count brought up to date. Returns the alerts raised by this call.

    Safe in several processes at once: the unique constraint decides who raises."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    spikes = detect_spikes(day, now=now)
    if not spikes:
        return []
    existing = {
        (a.category_id, a.township_code): a
        for a in SpikeAlert.objects.filter(day=day, township_code__in={s.township_code for s in spikes})
    }
    counties = dict(
        Area.objects.current().filter(code__in={s.township_code for s in spikes}).values_list("code", "parent__code")
    )
    raised = []
    for s in spikes:
        known = existing.get((s.category_id, s.township_code))
        if known is not None:
            if s.count > known.count:
                SpikeAlert.objects.filter(id=known.id, count__lt=s.count).update(count=s.count)
            continue
        try:
            with transaction.atomic():
                raised.append(
                    SpikeAlert.objects.create(
                        category_id=s.category_id,
                        township_code=s.township_code,
                        county_code=counties.get(s.township_code) or "",
                        day=day,
                        count=s.count,
                        first_count=s.count,
                        baseline_mean=s.baseline_mean,
                        baseline_sd=s.baseline_sd,
                        detected_at=s.detected_at,
                        report_due=s.report_due,
                    )
                )
        except IntegrityError:  # another supervisor raised it a moment ago
            continue
    return raised


def _locked(alert: SpikeAlert | int, by: User) -> SpikeAlert:
    """The alert under a row lock, if the user may see it (404 otherwise) and answers flares (403)."""
    alert_id = alert if isinstance(alert, int) else alert.id
    found = spikes_visible_to(by).select_for_update().filter(id=alert_id).first()
    if found is None:
        raise NotFound(_("No spike alert %(id)s.") % {"id": alert_id})
    if not policy.may_answer_flares(by):
        raise NotPermitted(_("Only a dispatcher of the center acknowledges and reports flares."))
    return found


def _require_open(alert: SpikeAlert) -> None:
    if alert.state != SpikeAlert.State.OPEN:
        raise TransitionNotAllowed(
            _("The alert is already %(state)s.") % {"state": alert.get_state_display()}, state=alert.state
        )


@transaction.atomic
def acknowledge_spike(*, alert: SpikeAlert | int, by: User, now: dt.datetime | None = None) -> SpikeAlert:
    """A dispatcher takes the flare on; acknowledging twice keeps the first time and person."""
    found = _locked(alert, by)
    _require_open(found)
    if found.acknowledged_at is None:
        found.acknowledged_at, found.acknowledged_by = now or timezone.now(), by
        found.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return found


@transaction.atomic
def file_spike_report(*, alert: SpikeAlert | int, by: User, text: str, now: dt.datetime | None = None) -> SpikeAlert:
    """The fast report on the flare [AN-1]; late when filed after report_due (it is still taken)."""
    found = _locked(alert, by)
    _require_open(found)
    text = (text or "").strip()
    if len(text) < REPORT_MIN_CHARS:
        raise RuleViolation(
            _("A report says what happened, where and what is being done: at least %(n)s characters.")
            % {"n": REPORT_MIN_CHARS},
            code="report_too_short",
        )
    if len(text) > REPORT_MAX_CHARS:
        raise RuleViolation(_("At most %(n)s characters.") % {"n": REPORT_MAX_CHARS}, code="report_too_long")
    now = now or timezone.now()
    if found.acknowledged_at is None:
        found.acknowledged_at, found.acknowledged_by = now, by
    found.state, found.report_text, found.reported_at, found.reported_by = SpikeAlert.State.REPORTED, text, now, by
    found.save(
        update_fields=["state", "report_text", "reported_at", "reported_by", "acknowledged_at", "acknowledged_by"]
    )
    return found


@transaction.atomic
def dismiss_spike(*, alert: SpikeAlert | int, by: User, reason: str, now: dt.datetime | None = None) -> SpikeAlert:
    """Not a flare after all (a data-entry burst, a known planned outage): closed with the reason."""
    found = _locked(alert, by)
    _require_open(found)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise RuleViolation(_("Say why the alert is dismissed."), code="reason_required")
    found.state, found.dismissed_reason, found.closed_by = SpikeAlert.State.DISMISSED, reason[:2000], by
    if found.acknowledged_at is None:
        found.acknowledged_at, found.acknowledged_by = now or timezone.now(), by
    found.save(update_fields=["state", "dismissed_reason", "closed_by", "acknowledged_at", "acknowledged_by"])
    return found
