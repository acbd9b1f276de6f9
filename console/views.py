"""The console page (/center/): one screen for a call-taker, keyboard-first [CT-1]."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from dispatch.models import Kind, Urgency
from dispatch.policy import may_use_console

from .models import LeaderDay, Seat
from .services import emergency_lines


@login_required
def center(request):
    """The console: the call, the caller's history, the ticket form with live suggestions, the wall's figures."""
    if not may_use_console(request.user):
        raise PermissionDenied("Only the call-takers and dispatchers of a center use the console.")
    seat = Seat.objects.filter(agent_id=request.user.pk).first()
    leader_day = (
        LeaderDay.objects.filter(leader_id=request.user.pk).order_by("-day").first()
        if seat and seat.is_leader_seat
        else None
    )
    return render(
        request,
        "console/center.html",
        {
            "seat": seat,
            "leader_day": leader_day,
            "kinds": Kind.choices,
            "urgencies": Urgency.choices,
            "lines": emergency_lines(),
            "MAP_TILE_URL": getattr(settings, "MAP_TILE_URL", ""),
        },
    )
