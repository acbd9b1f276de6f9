"""The console's suggestions as they were first written (the baseline of bench/console.py and the
reference tests/console/test_suggest_fast.py compares the fast path with): every part computed for
every request through the ORM — the classifier, the knowledge-base search, the geocoder, and the
similar open tickets in two ORM queries. Not on any production path; console.suggest is.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import BooleanField, FloatField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from console.suggest import (
    KNOWLEDGE_MIN_SCORE,
    SIMILAR_DAYS,
    SIMILAR_MIN_TEXT,
    SIMILAR_RADIUS_M,
    STILL_OPEN,
    categories_for,
    place_for,
    referral_for,
    route_for,
)
from dispatch.models import Status
from dispatch.policy import tickets_visible_to
from dispatch.selectors import search_knowledge

if TYPE_CHECKING:
    from grid.models import User


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


def naive_suggest(
    *, user: User, text: str, lon: float | None = None, lat: float | None = None, address: str = ""
) -> dict:
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
