from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from dispatch import policy
from dispatch.models import Status, Urgency
from grid.models import Area, Level

from . import selectors


def home(request):
    return render(request, "home.html")


def city_bounds() -> list[list[float]] | None:
    """[[south, west], [north, east]] of the current city boundary, for the first view."""
    city = Area.objects.current().filter(level=Level.CITY).only("geom").first()
    if city is None:
        return None
    west, south, east, north = city.geom.extent
    return [[south, west], [north, east]]


def grid_map(request):
    """The four levels as toggleable layers over a base map drawn from our own data."""
    return render(request, "maps/grid.html", {"bounds": city_bounds()})


# Short state names for a wall read from across the room.
SHORT_STATUS = {
    "refused": gettext_lazy("Not accepted"),
    "pending_dispatch": gettext_lazy("Awaiting dispatch"),
    "dispatched": gettext_lazy("Awaiting sign-for"),
    "in_progress": gettext_lazy("Being handled"),
    "return_requested": gettext_lazy("Return requested"),
    "replied": gettext_lazy("Replied"),
    "closed": gettext_lazy("Closed"),
    "callback_manual": gettext_lazy("Awaiting callback"),
    "archived": gettext_lazy("Completed"),
}


def _live_context(request) -> dict:
    """What a live map page starts from: the user's own area (its bounds, level and name)."""
    area = selectors.home_area(request.user)
    if area is None:
        raise Http404("no boundaries loaded")
    west, south, east, north = area.geom.extent
    office = request.user.office
    return {
        "home": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "bounds": [[south, west], [north, east]],
            "office": office.name if office else "",
            "parent": area.parent.code if area.parent_id else "",
        },
        "statuses": {s.value: str(SHORT_STATUS.get(s.value, s.label)) for s in Status},
        "urgencies": {u.value: u.label for u in Urgency},
    }


@login_required
def wall(request):
    """The command-center wall (1920×1080 or 3840×2160, dark): live points, counters, feed,
    categories, hotspots and the open/overdue choropleth, in the user's scope."""
    return render(request, "maps/wall.html", {**_live_context(request), "variant": "wall"})


@login_required
def live_map(request):
    """The same live map for a township desk or a grid worker's phone (light, responsive), in scope."""
    return render(request, "maps/live.html", {**_live_context(request), "variant": "desk"})


@login_required
def hotspot_register(request):
    """The hotspot register: new and growing hotspots for the center to open supervision cases on."""
    entries = selectors.register_for(request.user)
    can_open = policy.may_open_case(request.user)
    return render(request, "maps/hotspots.html", {"entries": entries, "can_open": can_open})
