"""/briefings/spikes/: the center's list of flare alerts, where a dispatcher acknowledges one
and files the 2-hour report (or dismisses it); late reports are flagged [AN-1].

Plain forms posting to the page (no script needed but the countdown); every write is a
alerts.services call and its refusal is shown as a message on the page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alerts import selectors, services
from alerts.models import SpikeAlert
from core.api import DomainError
from dispatch import policy


def _audience(user) -> None:
    if not policy.in_flare_audience(user):
        raise PermissionDenied(_("Flare alerts are for the command center, the counties and the townships."))


@login_required
def spike_list(request: HttpRequest) -> HttpResponse:
    _audience(request.user)
    state = request.GET.get("state", "")
    if state not in ("", *SpikeAlert.State.values):
        state = ""
    now = timezone.now()
    alerts = selectors.list_spikes(request.user, state=state, now=now)
    return render(
        request,
        "flares/list.html",
        {
            "alerts": alerts,
            "state": state,
            "states": SpikeAlert.State.choices,
            "can_answer": policy.may_answer_flares(request.user),
            "now": now,
            "open_overdue": sum(1 for a in alerts if a.state == SpikeAlert.State.OPEN and a.report_overdue),
        },
    )


@login_required
@require_POST
def spike_action(request: HttpRequest, alert_id: int) -> HttpResponse:
    _audience(request.user)
    action = request.POST.get("action", "")
    try:
        if action == "acknowledge":
            services.acknowledge_spike(alert=alert_id, by=request.user)
            messages.success(request, _("Acknowledged: the report is due by the deadline shown."))
        elif action == "report":
            services.file_spike_report(alert=alert_id, by=request.user, text=request.POST.get("text", ""))
            messages.success(request, _("The report is filed."))
        elif action == "dismiss":
            services.dismiss_spike(alert=alert_id, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("The alert is dismissed."))
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied(exc.message) from None
        if exc.status_code == 404:  # an alert the user may not see does not exist for them
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    return redirect(f"{reverse('spike-list')}#spike-{alert_id}")


urlpatterns = [
    path("", spike_list, name="spike-list"),
    path("<int:alert_id>/", spike_action, name="spike-action"),
]
