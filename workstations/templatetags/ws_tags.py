from django import template
from django.utils.html import json_script

from dispatch.models import Status

from ..presenters import js_strings

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] for keys a template cannot spell (sign-for)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def place_tail(names: str) -> str:
    """The smallest place of '新华区 / 光明路街道 / 长青社区'."""
    return (names or "").rsplit(" / ", 1)[-1]


@register.simple_tag
def ws_i18n():
    """The strings the pages' scripts show, in the user's language, as a JSON script element."""
    return json_script(js_strings(), "ws-i18n")
