from django import template

from dispatch.models import Status

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
