"""What the console suggests while the call-taker types: the category and its alternatives from the
trained classifier with the unit that would get it and why [AS-1], knowledge-base answers [IN-5], a
refusal or emergency transfer for a person to confirm [IN-4][CT-2], the standard address with its
candidates, and similar open tickets the caller's problem may already be [SV-2].

Suggestions only: nothing here writes, and nothing is refused or transferred without the call-taker."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import BooleanField, FloatField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import RefusalReason, Status
from dispatch.policy import tickets_visible_to
from dispatch.routing import locate, routing_table
from dispatch.selectors import search_knowledge
from dispatch.services import geocode_address

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


def place_for(text: str, lon: float | None, lat: float | None) -> dict | None:
    """The standard address: the given point's place, or the geocoder's answer with its candidates."""
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
    found = geocode_address(text)
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
    """Open tickets the caller's problem may already be: the same category within 250 m or the same
    community in the last 30 days, then any with a similar text among the suggested categories (in the
    same county when the place is known); best first, at most 5. Two small queries: pg_trgm's similarity
    of Chinese texts costs tens of microseconds a row, so it is computed only on these candidates."""
    since = now - dt.timedelta(days=SIMILAR_DAYS)
    sim = RawSQL("similarity(dispatch_ticket.description, %s)", [text[:500]], output_field=FloatField())
    recent_open = tickets_visible_to(user).filter(received_at__gte=since, status__in=STILL_OPEN)
    near = Q(pk__in=[])
    if point is not None and category_code:
        near_sql = RawSQL(
            "ST_DWithin(dispatch_ticket.point::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)",
            [point[0], point[1], SIMILAR_RADIUS_M],
            output_field=BooleanField(),
        )
        near = Q(category__code=category_code) & Q(near_sql)
    if community_code:
        near |= Q(community_code=community_code)
    close_by = list(
        recent_open.filter(near)
        .annotate(text_similarity=sim)
        .select_related("category")
        .order_by("-text_similarity")[:5]
    )
    texts = recent_open.filter(county_code=county_code) if county_code else recent_open
    if alternatives:
        texts = texts.filter(category__code__in=alternatives)
    alike = list(
        texts.exclude(pk__in=[t.pk for t in close_by])
        .annotate(text_similarity=sim)
        .filter(text_similarity__gte=SIMILAR_MIN_TEXT)
        .select_related("category")
        .order_by("-text_similarity")[: 5 - len(close_by)]
    )
    out = []
    for t in close_by + alike:
        out.append(
            {
                "number": t.number,
                "status": t.status,
                "status_label": str(Status(t.status).label),
                "category": t.category.name if t.category else "",
                "category_code": t.category.code if t.category else "",
                "description": t.description[:120],
                "place": t.place_names,
                "address": t.address,
                "received_at": timezone.localtime(t.received_at).isoformat(),
                "text_similarity": round(t.text_similarity or 0, 3),
                "same_category": bool(category_code) and t.category is not None and t.category.code == category_code,
                "same_community": bool(community_code) and t.community_code == community_code,
            }
        )
    return out


def suggest(*, user: User, text: str, lon: float | None = None, lat: float | None = None, address: str = "") -> dict:
    """Everything the console shows beside the form for the text typed so far."""
    now = timezone.now()
    text = text.strip()
    categories = categories_for(text, 3)
    knowledge = [
        {"id": a.id, "question": a.question, "answer": a.answer, "score": round(score, 3)}
        for a, score in search_knowledge(text, limit=3)
        if score >= KNOWLEDGE_MIN_SCORE
    ]
    place = place_for(address.strip() or text, lon, lat)
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
