"""Auto-dispatch: from a place and a category to the offices that handle a ticket.

[AS-1] who is in charge answers: the place (the township service center, or the
community workstation for what a community settles itself [ORG-5]) and the
remit (the department for the category). [ORG-1][ORG-7] the city command center
assigns central-district tickets straight to the township; [ORG-2] the other
counties' sub-centers do the same for theirs. [AS-2] when a department leads and
the place matters too, the township co-handles.

The routing table (categories' defaults plus RoutingRule overrides, the offices,
the current areas, refusal rules and SLA policies) is held in process and reloaded when it is older than
TABLE_TTL or when a routing model is saved in this process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import translation
from django.utils.translation import gettext as _

from dispatch.models import Category, RefusalRule, RoutingRule, SlaPolicy
from grid.models import Area, Level, Office

TABLE_TTL = 30.0  # seconds: admin edits reach every process within this time


@dataclass(frozen=True)
class OfficeRef:
    id: int
    code: str
    name: str
    kind: str
    area_code: str
    remit: tuple[str, ...] = ()


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    is_central: bool


@dataclass(frozen=True)
class Place:
    """Where a ticket is: the area chain at intake."""

    area_id: int
    deepest_code: str
    county: AreaRef | None
    township: AreaRef | None
    community: AreaRef | None
    is_central: bool

    @property
    def codes(self) -> dict[str, str]:
        return {
            "county_code": self.county.code if self.county else "",
            "township_code": self.township.code if self.township else "",
            "community_code": self.community.code if self.community else "",
        }

    @property
    def names(self) -> str:
        return " / ".join(a.name for a in (self.county, self.township, self.community) if a)

    @property
    def smallest(self) -> AreaRef | None:
        return self.community or self.township or self.county


@dataclass(frozen=True)
class CategoryRef:
    id: int
    code: str
    path: str
    parent_id: int | None
    top_name: str
    lead: str
    default_department_id: int | None
    community_can_settle: bool
    township_co_handles: bool
    major_livelihood: bool


@dataclass(frozen=True)
class RuleRef:
    id: int
    name: str
    category_id: int | None
    area_code: str
    central: bool | None
    lead: str
    office_id: int | None
    place_level: str
    township_co_handles: bool | None
    co_handler_ids: tuple[int, ...]
    priority: int


@dataclass
class PlannedAssignment:
    office: OfficeRef
    role: str  # lead | co
    why: str


@dataclass
class RoutePlan:
    center: OfficeRef | None
    assignments: list[PlannedAssignment] = field(default_factory=list)
    queue_reason: str = ""

    @property
    def routed(self) -> bool:
        return bool(self.assignments)

    @property
    def lead(self) -> PlannedAssignment | None:
        return next((a for a in self.assignments if a.role == "lead"), None)


class RoutingTable:
    """Everything routing needs, in memory: a ticket is routed without a query."""

    def __init__(self) -> None:
        self.loaded_at = time.monotonic()
        self.offices: dict[int, OfficeRef] = {}
        self.office_by_code: dict[str, OfficeRef] = {}
        self.office_by_area_kind: dict[tuple[str, str], OfficeRef] = {}
        for o in Office.objects.filter(is_active=True).values("id", "code", "name", "kind", "area_code", "remit"):
            ref = OfficeRef(o["id"], o["code"], o["name"], o["kind"], o["area_code"], tuple(o["remit"] or ()))
            self.offices[ref.id] = ref
            self.office_by_code[ref.code] = ref
            self.office_by_area_kind.setdefault((ref.area_code, ref.kind), ref)
        self.city_center = next((o for o in self.offices.values() if o.kind == Office.Kind.CITY_CENTER), None)
        tops = {c.id: c for c in Category.objects.filter(parent__isnull=True)}
        self.categories: dict[int, CategoryRef] = {}
        self.category_by_code: dict[str, CategoryRef] = {}
        self.category_by_path: dict[str, CategoryRef] = {}
        for c in Category.objects.filter(parent__isnull=False, is_active=True):
            top = tops.get(c.parent_id)
            ref = CategoryRef(
                id=c.id,
                code=c.code,
                path=f"{top.name}/{c.name}" if top else c.name,
                parent_id=c.parent_id,
                top_name=top.name if top else "",
                lead=c.lead,
                default_department_id=c.default_department_id,
                community_can_settle=c.community_can_settle,
                township_co_handles=c.township_co_handles,
                major_livelihood=c.major_livelihood,
            )
            self.categories[ref.id] = ref
            self.category_by_code[ref.code] = ref
            self.category_by_path[ref.path] = ref
        self.rules = [
            RuleRef(
                id=r.id,
                name=r.name,
                category_id=r.category_id,
                area_code=r.area_code,
                central=r.central,
                lead=r.lead,
                office_id=r.office_id,
                place_level=r.place_level,
                township_co_handles=r.township_co_handles,
                co_handler_ids=tuple(o.id for o in r.co_handlers.all()),
                priority=r.priority,
            )
            for r in RoutingRule.objects.filter(is_active=True).prefetch_related("co_handlers")
        ]
        self.areas: dict[int, AreaRef] = {}
        self._load_areas(Area.objects.current())
        # the other reference data intake needs, so that an intake reads no table
        self.refusal_rules = list(RefusalRule.objects.filter(is_active=True))
        self.sla_policies = {(p.urgency, p.kind): p for p in SlaPolicy.objects.filter(is_active=True)}

    def _load_areas(self, qs) -> None:
        for a in qs.values("id", "code", "name", "level", "parent_id", "is_central"):
            self.areas[a["id"]] = AreaRef(a["id"], a["code"], a["name"], a["level"], a["parent_id"], a["is_central"])

    # -- places ---------------------------------------------------------------

    def place(self, area_id: int) -> Place:
        """The chain of an area (usually the deepest holding a point)."""
        if area_id not in self.areas:  # boundaries re-imported since the table was loaded
            self._load_areas(Area.objects.filter(id=area_id))
        chain: dict[str, AreaRef] = {}
        current = self.areas.get(area_id)
        deepest = current
        while current is not None:
            chain[current.level] = current
            if current.parent_id is not None and current.parent_id not in self.areas:
                self._load_areas(Area.objects.filter(id=current.parent_id))
            current = self.areas.get(current.parent_id) if current.parent_id else None
        return Place(
            area_id=area_id,
            deepest_code=deepest.code,
            county=chain.get("county"),
            township=chain.get("township"),
            community=chain.get("community"),
            is_central=bool(deepest.is_central),
        )

    def category(self, ref: str) -> CategoryRef | None:
        """A leaf category by code or by its path (城市管理/下水道堵塞)."""
        return self.category_by_code.get(ref) or self.category_by_path.get(ref)

    # -- routing --------------------------------------------------------------

    def center_for(self, place: Place | None) -> OfficeRef | None:
        """[ORG-1][ORG-2] the city center for the central five (and unplaced tickets), else the sub-center."""
        if place is not None and place.county is not None and not place.is_central:
            sub = self.office_by_area_kind.get((place.county.code, Office.Kind.SUB_CENTER))
            if sub is not None:
                return sub
        return self.city_center

    def _rule_for(self, category: CategoryRef, place: Place | None) -> RuleRef | None:
        codes = {}
        if place is not None:
            codes = {a.code: depth for depth, a in ((1, place.county), (2, place.township), (3, place.community)) if a}
        best, best_key = None, None
        for r in self.rules:
            if r.category_id is None:
                cat_spec = 0
            elif r.category_id == category.id:
                cat_spec = 2
            elif r.category_id == category.parent_id:
                cat_spec = 1
            else:
                continue
            if r.central is not None and (place is None or place.is_central != r.central):
                continue
            area_spec = 0
            if r.area_code:
                if r.area_code not in codes:
                    continue
                area_spec = codes[r.area_code]
            key = (cat_spec, area_spec, r.priority, -r.id)
            if best_key is None or key > best_key:
                best, best_key = r, key
        return best

    def route(self, *, place: Place | None, category: CategoryRef | None) -> RoutePlan:
        if translation.get_language() == settings.LANGUAGE_CODE:  # bulk callers switch once per batch
            return self._route(place=place, category=category)
        with translation.override(settings.LANGUAGE_CODE):
            return self._route(place=place, category=category)

    def _route(self, *, place: Place | None, category: CategoryRef | None) -> RoutePlan:
        center = self.center_for(place)
        plan = RoutePlan(center=center)
        if category is None:
            plan.queue_reason = _("no category: a dispatcher must classify it")
            return plan
        rule = self._rule_for(category, place)
        rule_note = _(" (routing rule “%(name)s”)") % {"name": rule.name} if rule else _(" (category default)")
        lead_kind = rule.lead if rule else category.lead
        if lead_kind == RoutingRule.Lead.MANUAL:
            plan.queue_reason = _("routing rule “%(name)s” sends %(category)s to manual dispatch") % {
                "name": rule.name,
                "category": category.path,
            }
            return plan

        place_office, place_why = self._place_office(place, category, rule, center)
        if lead_kind == RoutingRule.Lead.PLACE:
            if place_office is None:
                plan.queue_reason = _("cannot place the ticket: no location, or no service center for it")
                return plan
            plan.assignments.append(PlannedAssignment(place_office, "lead", place_why + rule_note))
        else:
            if lead_kind == RoutingRule.Lead.OFFICE or (rule and rule.office_id):
                lead = self.offices.get(rule.office_id) if rule else None
            else:
                lead = self.offices.get(category.default_department_id)
            if lead is None:
                plan.queue_reason = _("category %(category)s names no active lead office") % {"category": category.path}
                return plan
            in_remit = category.top_name in lead.remit
            why = (
                _("category %(category)s is in %(office)s's remit (%(remit)s) → lead [AS-1]")
                if in_remit
                else _("category %(category)s → %(office)s leads")
            ) % {"category": category.path, "office": lead.name, "remit": "、".join(lead.remit)}
            plan.assignments.append(PlannedAssignment(lead, "lead", why + rule_note))
            co = rule.township_co_handles if rule and rule.township_co_handles is not None else None
            co = category.township_co_handles if co is None else co
            if co and place_office is not None and place_office.id != lead.id:
                township = (
                    self.office_by_area_kind.get((place.township.code, Office.Kind.TOWNSHIP_CENTER))
                    if place and place.township
                    else None
                ) or place_office
                plan.assignments.append(
                    PlannedAssignment(
                        township,
                        "co",
                        _("both matter: point in %(area)s → %(office)s co-handles [AS-2]")
                        % {"area": place.smallest.name, "office": township.name},
                    )
                )
        for office_id in rule.co_handler_ids if rule else ():
            office = self.offices.get(office_id)
            if office and all(a.office.id != office.id for a in plan.assignments):
                plan.assignments.append(
                    PlannedAssignment(
                        office,
                        "co",
                        _("routing rule “%(name)s” adds %(office)s") % {"name": rule.name, "office": office.name},
                    )
                )
        return plan

    def _place_office(
        self, place: Place | None, category: CategoryRef, rule: RuleRef | None, center: OfficeRef | None
    ) -> tuple[OfficeRef | None, str]:
        """The township service center (or the workstation) that answers for the place, and why."""
        if place is None or place.township is None:
            return None, ""
        level = rule.place_level if rule and rule.place_level else ""
        if not level:
            level = Level.COMMUNITY if category.community_can_settle else Level.TOWNSHIP
        township = self.office_by_area_kind.get((place.township.code, Office.Kind.TOWNSHIP_CENTER))
        if level == Level.COMMUNITY and place.community is not None:
            station = self.office_by_area_kind.get((place.community.code, Office.Kind.WORKSTATION))
            if station is not None:
                return station, _(
                    "point in %(community)s → %(office)s: %(category)s is settled by the community itself [ORG-5]"
                ) % {"community": place.community.name, "office": station.name, "category": category.path}
        if township is None:
            return None, ""
        area = place.smallest
        if place.is_central or center is None or center.kind == Office.Kind.CITY_CENTER:
            why = _("point in %(area)s → %(office)s; the city center dispatches straight to the township [ORG-7]")
        else:
            why = _("point in %(area)s → %(center)s → %(office)s [ORG-2]")
        return township, why % {"area": area.name, "office": township.name, "center": center.name if center else ""}


# -- locating ------------------------------------------------------------------


def locate(table: RoutingTable, lon: float, lat: float) -> Place | None:
    """The place of a point through the grid's in-process index (no round trip per level)."""
    from grid.selectors import deepest_area_ids

    area_id = deepest_area_ids([lon], [lat])[0]
    return None if area_id is None else table.place(area_id)


def locate_many(table: RoutingTable, points: list[tuple[float, float]]) -> list[Place | None]:
    from grid.selectors import deepest_area_ids

    ids = deepest_area_ids([p[0] for p in points], [p[1] for p in points])
    return [None if i is None else table.place(i) for i in ids]


# -- the cached table ------------------------------------------------------------

_lock = threading.Lock()
_table: RoutingTable | None = None


def routing_table() -> RoutingTable:
    global _table
    table = _table
    if table is not None and time.monotonic() - table.loaded_at < TABLE_TTL:
        return table
    with _lock:
        if _table is None or time.monotonic() - _table.loaded_at >= TABLE_TTL:
            _table = RoutingTable()
        return _table


def invalidate() -> None:
    global _table
    _table = None


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=RoutingRule)
@receiver([post_save, post_delete], sender=Office)
@receiver([post_save, post_delete], sender=RefusalRule)
@receiver([post_save, post_delete], sender=SlaPolicy)
@receiver(m2m_changed, sender=RoutingRule.co_handlers.through)
def _routing_changed(**kwargs) -> None:
    invalidate()
    transaction.on_commit(invalidate)  # a reader may have reloaded the old rows before the commit
