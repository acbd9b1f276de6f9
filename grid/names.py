"""The names people use for an area.

Community areas carry the official names of their committees
(长青社区居民委员会, 李庄村民委员会); people say 长青社区, 李庄村. The fixtures keep
that everyday form among the aliases (fixtures/build_pingdingshan.py).
"""

from __future__ import annotations

from collections.abc import Iterable

SPOKEN_ENDINGS = ("社区", "村")


def spoken_name(name: str, short_name: str = "", aliases: Iterable[str] = ()) -> str:
    """The everyday name of an area: for a committee the shortest of its names that
    ends in 社区 or 村 (长青社区, 李庄村, 王村); the official name otherwise."""
    if name.endswith(SPOKEN_ENDINGS):
        return name
    forms = [n for n in (short_name, *aliases) if n and n.endswith(SPOKEN_ENDINGS)]
    return min(forms, key=lambda n: (len(n), n)) if forms else name
