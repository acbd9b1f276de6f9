"""What the console suggests while the call-taker types: the category and its alternatives from the
trained classifier with the unit that would get it and why [AS-1], knowledge-base answers [IN-5], a
refusal or emergency transfer for a person to confirm [IN-4][CT-2], the standard address with its
candidates, and similar open tickets the caller's problem may already be [SV-2].

Suggestions only: nothing here writes, and nothing is refused or transferred without the call-taker."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import RefusalReason, Status
from dispatch.policy import tickets_visible_to
from dispatch.routing import locate, routing_table
from dispatch.services import geocode_address

from . import suggest_cache
from .services import emergency_lines

if TYPE_CHECKING:
    from grid.models import User

SIMILAR_RADIUS_M = 250
SIMILAR_DAYS = 30
SIMILAR_MIN_TEXT = 0.3  # pg_trgm similarity of two complaint texts for a text-only match (anywhere in scope)
KNOWLEDGE_MIN_SCORE = 0.3
# Still open for the caller: also awaiting dispatch or the center's review (wider than
# dispatch.choices.OPEN_STATUSES, the tickets a unit is handling).
STILL_OPEN = (
    Status.PENDING_DISPATCH,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RETURN_REQUESTED,
    Status.REPLIED,
)
# [CT-2] which line an emergency goes to, by what the caller says (the call-taker confirms)
EMERGENCY_HINTS = (
    ("119", ("着火", "起火", "火灾", "冒烟", "浓烟", "落水", "被困")),
    ("120", ("受伤", "晕倒", "昏迷", "急救", "流血", "心脏", "抽搐")),
    ("122", ("车祸", "交通事故", "撞车", "追尾")),
)


def categories_for(text: str, k: int = 3) -> list[dict]:
    """The classifier's k likeliest categories [{code, name, top, score}] (classify's trained model)."""
    from classify.services import suggest_categories

    return suggest_categories(text, k=k)


def referral_for(text: str) -> dict | None:
    """[IN-4] A refusal rule's keyword found in the text, as a suggestion; for an emergency the lines
    to transfer to [CT-2]. A person confirms: the intake never refuses on a keyword from here."""
    table = routing_table()
    for rule in table.refusal_rules:
        trigger = next((k for k in rule.keywords if k and k in text), None)
        if trigger is None:
            continue
        answer = {
            "reason": rule.reason,
            "label": str(RefusalReason(rule.reason).label),
            "referral": rule.referral,
            "trigger": trigger,
            "confirm": True,
            "transfer": [],
        }
        if rule.reason == RefusalReason.EMERGENCY:
            lines = emergency_lines()
            best = next((line for line, words in EMERGENCY_HINTS if any(w in text for w in words)), "110")
            answer["transfer"] = [{"line": best, "label": lines[best]}] + [
                {"line": line, "label": label} for line, label in lines.items() if line != best
            ]
        return answer
    return None


def place_for(text: str, lon: float | None, lat: float | None, geocode=geocode_address) -> dict | None:
    """The standard address: the given point's place, or the geocoder's answer with its candidates
    (`geocode`: the geocoder, or its cache in suggest_cache)."""
    table = routing_table()
    if lon is not None and lat is not None:
        place = locate(table, lon, lat)
        return {
            "source": "given",
            "point": [lon, lat],
            "precision": "point",
            "confidence": 1.0,
            "label": place.names if place else "",
            "inside_city": place is not None,
            "candidates": [],
            "_place": place,
        }
    found = geocode(text)
    if found is None or found.point is None:
        return None
    place = locate(table, *found.point)
    return {
        "source": "geocoded",
        "point": list(found.point),
        "precision": found.precision,
        "confidence": round(found.confidence or 0, 3),
        "label": found.normalized,
        "area": place.names if place else "",
        "inside_city": place is not None,
        "candidates": [
            {**c, "point": list(c["point"])} for c in (found.candidates or [])[:5] if c.get("point") is not None
        ],
        "_place": place,
    }


def route_for(category_code: str, place) -> dict | None:
    """[AS-1] The unit that would get the ticket and why (by place and remit), before it is taken."""
    table = routing_table()
    category = table.category(category_code)
    if category is None:
        return None
    plan = table.route(place=place, category=category)
    return {
        "center": plan.center.name if plan.center else "",
        "units": [
            {"office": a.office.name, "code": a.office.code, "role": a.role, "why": a.why} for a in plan.assignments
        ],
        "queue_reason": plan.queue_reason,
    }


SIMILAR_SQL = """
WITH scope AS ({scope}),
candidates AS (
    SELECT t.id, t.number, t.status, c.name AS category, c.code AS category_code, left(t.description, 120),
           t.place_names, t.address, t.received_at, t.community_code,
           similarity(t.description, %s) AS sim, COALESCE({near}, false) AS near, COALESCE({alike}, false) AS alike
    FROM dispatch_ticket t LEFT JOIN dispatch_category c ON c.id = t.category_id
    WHERE t.id IN (SELECT id FROM scope)
)
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY near ORDER BY sim DESC, id DESC) AS rank
    FROM candidates WHERE near OR (alike AND sim >= %s)
) ranked
WHERE rank <= 5
ORDER BY near DESC, sim DESC, id DESC
"""


def similar_tickets(
    user: User,
    *,
    text: str,
    category_code: str,
    point: list[float] | None,
    community_code: str,
    county_code: str = "",
    alternatives: list[str] | None = None,
    now: dt.datetime,
) -> list[dict]:
    """Open tickets the caller's problem may already be [SV-2]: the same category within 250 m or the
    same community in the last 30 days (most similar text first), then any with a similar text among
    the suggested categories (in the same county when the place is known); at most 5. One statement
    selecting only what is shown: the scope is dispatch.policy's, pg_trgm's similarity of Chinese texts
    (tens of microseconds a row) is computed only on these few candidates (the open tickets of 30 days)."""
    since = now - dt.timedelta(days=SIMILAR_DAYS)
    scope = tickets_visible_to(user).filter(received_at__gte=since, status__in=STILL_OPEN).order_by().values("id")
    try:
        scope_sql, params = scope.query.sql_with_params()
    except EmptyResultSet:  # no office: nothing visible
        return []
    params = list(params) + [text[:500]]
    near, near_params = [], []
    if point is not None and category_code:
        near.append(
            "(c.code = %s AND ST_DWithin(t.point::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s))"
        )
        near_params += [category_code, point[0], point[1], SIMILAR_RADIUS_M]
    if community_code:
        near.append("t.community_code = %s")
        near_params.append(community_code)
    alike, alike_params = ["true"], []
    if county_code:
        alike.append("t.county_code = %s")
        alike_params.append(county_code)
    if alternatives:
        alike.append("c.code = ANY(%s)")
        alike_params.append(list(alternatives))
    sql = SIMILAR_SQL.format(scope=scope_sql, near=" OR ".join(near) or "false", alike=" AND ".join(alike))
    with connection.cursor() as cur:
        cur.execute(sql, params + near_params + alike_params + [SIMILAR_MIN_TEXT])
        rows = cur.fetchall()
    close_by = [r for r in rows if r[11]]
    rows = close_by + [r for r in rows if not r[11]][: 5 - len(close_by)]
    return [
        {
            "number": number,
            "status": status,
            "status_label": str(Status(status).label),
            "category": category or "",
            "category_code": code or "",
            "description": description,
            "place": place_names,
            "address": address,
            "received_at": timezone.localtime(received_at).isoformat(),
            "text_similarity": round(sim or 0, 3),
            "same_category": bool(category_code) and code is not None and code == category_code,
            "same_community": bool(community_code) and community == community_code,
        }
        for _id, number, status, category, code, description, place_names, address, received_at, community, sim, *_ in rows
    ]


def suggest(*, user: User, text: str, lon: float | None = None, lat: float | None = None, address: str = "") -> dict:
    """Everything the console shows beside the form for the text typed so far: the parts that depend
    only on the text or the address come from suggest_cache (see there), the similar tickets are read."""
    now = timezone.now()
    text = text.strip()
    stamp = suggest_cache.stamps()
    categories = suggest_cache.categories(text, 3)
    knowledge = suggest_cache.knowledge(stamp, text, limit=3, min_score=KNOWLEDGE_MIN_SCORE)
    place = place_for(address.strip() or text, lon, lat, geocode=lambda a: suggest_cache.geocoded(stamp, a))
    area = place.pop("_place") if place else None
    top_code = categories[0]["code"] if categories else ""
    route = route_for(top_code, area) if top_code else None
    similar = similar_tickets(
        user,
        text=text,
        category_code=top_code,
        point=place["point"] if place and place.get("inside_city") else None,
        community_code=area.community.code if area and area.community else "",
        county_code=area.county.code if area and area.county else "",
        alternatives=[c["code"] for c in categories],
        now=now,
    )
    return {
        "categories": categories,
        "route": route,
        "knowledge": knowledge,
        "referral": referral_for(text),
        "place": place,
        "similar": similar,
        "note": _("Suggestions only: the call-taker decides."),
    }
