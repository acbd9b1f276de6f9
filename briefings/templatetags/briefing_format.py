"""Number formats of the briefing page: shares as percents, changes as signed points or percents."""

from django import template

from briefings.figures import pct as _pct
from briefings.figures import points as _points

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.128 → 12.8%."""
    return _pct(value)


@register.filter
def pp(value) -> str:
    """A change of share: 0.012 → +1.2."""
    return _points(value)


@register.filter
def signed_pct(value) -> str:
    """A relative change: 0.05 → +5.0%; None → —."""
    return "—" if value is None else f"{value * 100:+.1f}%"


@register.filter
def trend(value) -> str:
    """The CSS class of a change: up, down or flat."""
    if value is None:
        return "flat"
    return "up" if value > 0.0005 else "down" if value < -0.0005 else "flat"


@register.filter
def hours(value) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.filter
def reads_briefings(user) -> bool:
    """Whether the briefings (and the flare list) are for this user: links are shown only to them."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from briefings.views import briefing_home

    if not getattr(user, "is_authenticated", False):
        return False
    try:
        briefing_home(user)
    except (PermissionDenied, Http404):
        return False
    return True


@register.filter
def sees_flares(user) -> bool:
    """Whether the flare-alert list is for this user (the center, the counties, the townships)."""
    from dispatch import policy

    return getattr(user, "is_authenticated", False) and policy.in_flare_audience(user)
