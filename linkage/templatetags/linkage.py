"""{% ticket_handovers ticket as handovers %} and {% linked_systems as systems %} for the pages of other
apps (the desks' ticket, the console) without their views knowing the linkage app [CT-2]."""

from django import template

from ..models import HandOver, LinkedSystem

register = template.Library()


@register.simple_tag
def ticket_handovers(ticket) -> list[HandOver]:
    return list(HandOver.objects.filter(ticket=ticket).select_related("system", "by").order_by("at", "id"))


@register.simple_tag
def linked_systems() -> list[LinkedSystem]:
    return list(LinkedSystem.objects.filter(is_active=True))
