"""Building and loading the demo history: where tickets are drawn, when they come in, and the
COPY of the rows (loaders.demo documents the whole)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone, translation
from tqdm import tqdm

from core.bulk import copy_insert, delete_tickets
from dispatch.audit import record_events
from dispatch.models import (
    Assignment,
    ExtensionRequest,
    KnowledgeArticle,
    OutboundMessage,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from dispatch.routing import RoutingTable, routing_table
from dispatch.services import (
    IntakeData,
    Location,
    prepare_ticket,
    ticket_numbers,
)
from dispatch.supervision import supervise_once
from grid.models import Area, Level
from grid.names import spoken_name

from .patterns import (
    BASE_WEIGHT,
    CHANNELS,
    DEFAULT_COUNT,
    DEFAULT_DAYS,
    DEFAULT_SEED,
    DETAILS,
    GIVEN,
    HOTSPOT_CATEGORIES,
    HOUR_WEIGHT,
    KINDS,
    REFUSALS,
    RURAL,
    SURNAMES,
    URBAN,
    URGENCIES,
    WEEKDAY_WEIGHT,
    _choice,
    season_factor,
)
from .simulation import Built, Simulation


@dataclass
class DemoReport:
    created: int = 0
    skipped: bool = False
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        if self.skipped:
            return "demo tickets already loaded (use --force to rebuild)"
        states = ", ".join(f"{s} {n}" for s, n in sorted(self.statuses.items()))
        return f"{self.created} demo tickets in {self.seconds:.1f} s ({states})"


def demo_prefix(seed: int) -> str:
    return f"demo:{seed}:"


def delete_demo(seed: int) -> int:
    """Remove one seed's demo tickets and everything hanging on them."""
    return delete_tickets(external_prefix=demo_prefix(seed))


class Places:
    """Communities to draw ticket locations from, weighted by the kind of problem."""

    def __init__(self, rng: np.random.Generator, table: RoutingTable):
        self.rng = rng
        rows = list(
            Area.objects.current()
            .filter(level=Level.COMMUNITY)
            .order_by("code")
            .values_list("id", "code", "urban", "is_central", "geom", "name", "short_name", "aliases")
        )
        self.ids = [r[0] for r in rows]
        self.codes = [r[1] for r in rows]
        # callers say 长青社区, not the committee's official 长青社区居民委员会
        self.spoken = {r[1]: spoken_name(r[5], r[6], r[7]) for r in rows}
        self.geoms = shapely.from_wkb([bytes(r[4].wkb) for r in rows])
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        urban = np.array([r[2] for r in rows])
        central = np.array([r[3] for r in rows])
        self.weights = {
            "urban": np.where(central & urban, 8.0, np.where(urban, 2.0, 0.15)),
            "rural": np.where(urban, 0.05, np.where(central, 0.5, 3.0)),
            "other": np.where(central & urban, 3.0, np.where(urban, 1.5, 0.6)),
        }
        hot = rng.choice(np.flatnonzero(central & urban), size=12, replace=False)
        boost = np.ones(len(rows))
        boost[hot] = 25.0
        self.weights["hotspot"] = self.weights["urban"] * boost
        self.cumulative = {k: np.cumsum(w) / w.sum() for k, w in self.weights.items()}
        self.table = table

    def draw(self, group: str) -> tuple[int, float, float]:
        """(area id, lon, lat) of a point inside a community drawn for this group."""
        i = int(np.searchsorted(self.cumulative[group], self.rng.random()))
        minx, miny, maxx, maxy = self.bounds[i]
        for _ in range(20):
            xs = self.rng.uniform(minx, maxx, 8)
            ys = self.rng.uniform(miny, maxy, 8)
            inside = np.flatnonzero(shapely.contains_xy(self.geoms[i], xs, ys))
            if len(inside):
                return self.ids[i], float(xs[inside[0]]), float(ys[inside[0]])
        p = shapely.point_on_surface(self.geoms[i])
        return self.ids[i], p.x, p.y


class DemoGenerator:
    def __init__(self, *, seed: int, days: int, end: dt.datetime):
        self.seed, self.days, self.now = seed, days, end
        self.until = timezone.localtime(end).date()
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.table = routing_table()
        self.places = Places(self.np_rng, self.table)
        self.leaves = sorted(self.table.categories.values(), key=lambda c: c.code)
        self.codes = [c.code for c in self.leaves]
        self.articles = list(KnowledgeArticle.objects.filter(is_active=True).order_by("id"))
        self.article_by_question = {a.question: a for a in self.articles}
        self._weights: dict[dt.date, list[float]] = {}

    def received_times(self, count: int) -> list[dt.datetime]:
        start = self.until - dt.timedelta(days=self.days - 1)
        days = [start + dt.timedelta(days=i) for i in range(self.days)]
        weights = np.array([WEEKDAY_WEIGHT[d.weekday()] * (1 + 0.15 * i / self.days) for i, d in enumerate(days)])
        per_day = self.np_rng.multinomial(count, weights / weights.sum())
        hours = np.array(HOUR_WEIGHT) / sum(HOUR_WEIGHT)
        times = []
        for day, n in zip(days, per_day):
            base = timezone.make_aware(dt.datetime.combine(day, dt.time()))
            for h, s in zip(self.np_rng.choice(24, size=n, p=hours), self.np_rng.integers(0, 3600, size=n)):
                at = base + dt.timedelta(hours=int(h), seconds=int(s))
                if at >= self.now:  # the last day ends at the end time
                    at = base + (self.now - base) * float(self.np_rng.random())
                times.append(at)
        return sorted(times)

    def category_for(self, day: dt.date) -> str:
        weights = self._weights.get(day)
        if weights is None:
            weights = self._weights[day] = list(
                np.cumsum([BASE_WEIGHT.get(code, 1.0) * season_factor(code, day) for code in self.codes])
            )
        return self.rng.choices(self.codes, cum_weights=weights)[0]

    def intake(self, i: int, received_at: dt.datetime) -> tuple[IntakeData, Location, KnowledgeArticle | None]:
        rng = self.rng
        day = timezone.localtime(received_at).date()
        code = self.category_for(day)
        top = code[:2]
        kind = _choice(rng, KINDS)
        channel = _choice(rng, CHANNELS)
        group = (
            "hotspot"
            if code in HOTSPOT_CATEGORIES
            else "urban"
            if top in URBAN
            else "rural"
            if top in RURAL
            else "other"
        )
        area_id, lon, lat = self.places.draw(group)
        place = self.table.place(area_id)
        building = rng.randint(1, 36)
        leaf = self.table.category(code)
        templates = DETAILS.get(code) or [f"附近{leaf.path.split('/')[-1]}问题，希望有关部门尽快处理"]
        description = rng.choice(templates).format(b=building)
        description = f"{self.places.spoken.get(place.community.code, '') if place.community else ''}{description}"
        article = None
        refuse = ""
        if kind == "consultation":
            heating_soon = day.month in (10, 11) and day.day < 20 and rng.random() < 0.6
            if heating_soon or rng.random() < 0.45:
                article = (
                    self.article_by_question.get("城区什么时候开始供暖") if heating_soon else rng.choice(self.articles)
                )
                description = f"咨询：{article.question}？"
            else:
                description = f"咨询：{description}，请问归哪个部门管、怎么办理？"
        if rng.random() < 0.02:
            refuse, description = rng.choice(REFUSALS)
        has_point = rng.random() > 0.01
        address = f"{place.names.replace(' / ', '')}{building}号楼" if has_point else "具体位置记不清了"
        data = IntakeData(
            channel=channel,
            kind=kind,
            description=description,
            urgency=_choice(rng, URGENCIES),
            nature=rng.choice("AABBBBCD"),
            category=code if rng.random() > 0.01 else "",
            address=address,
            lon=round(lon, 6) if has_point else None,
            lat=round(lat, 6) if has_point else None,
            caller_name="" if channel == "grid_worker" else rng.choice(SURNAMES) + rng.choice(GIVEN),
            caller_phone="" if channel == "grid_worker" else f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
            external_id=f"{demo_prefix(self.seed)}{i}",
            received_at=received_at,
            refuse_reason=refuse,
        )
        location = Location(
            point=Point(data.lon, data.lat, srid=4326) if has_point else None,
            place=place if has_point else None,
            source="given" if has_point else "",
        )
        if refuse == "outside_jurisdiction":
            location = Location(outside_city=True)
        return data, location, article

    def build(self, start: int, times: list[dt.datetime]) -> Built:
        with translation.override(settings.LANGUAGE_CODE):  # the reasons on assignments are in the site's language
            return self._build(start, times)

    def _build(self, start: int, times: list[dt.datetime]) -> Built:
        out = Built()
        numbers = ticket_numbers(times)  # before the story: its messages name the ticket
        for offset, received_at in enumerate(times):
            data, location, article = self.intake(start + offset, received_at)
            prepared = prepare_ticket(
                data,
                table=self.table,
                location=location,
                now=received_at,
                answer_with=(lambda _text, a=article: a) if article else None,
            )
            t = prepared.ticket
            t.number = numbers[offset]
            if t.status == Status.REFUSED and data.refuse_reason == "outside_jurisdiction":
                t.point = None
            assignments = list(prepared.assignments)
            out.events += prepared.events
            Simulation(t, assignments, out, self.rng, self.now, self.table).run()
            out.tickets.append(t)
            out.assignments += assignments
        return out


def load_demo(
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
    end: dt.datetime | None = None,
    force: bool = False,
    progress: bool = False,
    batch: int = 4000,
) -> DemoReport:
    """Load `count` demo tickets for `seed`, received over `days` days up to `end` (default: the start of
    the current hour). Skipped when that many are there; rebuilt with force. The same seed and end give
    the same tickets."""
    report = DemoReport()
    started = time.monotonic()
    existing = Ticket.objects.filter(external_id__startswith=demo_prefix(seed)).count()
    if existing == count and not force:
        report.skipped = True
        return report
    end = end or timezone.now().replace(minute=0, second=0, microsecond=0)
    gen = DemoGenerator(seed=seed, days=days, end=end)
    times = gen.received_times(count)
    bar = tqdm(total=count, unit="ticket", desc="demo", disable=not progress)
    with transaction.atomic():
        delete_demo(seed)
        for start in range(0, count, batch):
            out = gen.build(start, times[start : start + batch])
            copy_insert(Ticket, out.tickets)
            copy_insert(Assignment, out.assignments)
            copy_insert(Reply, out.replies)
            copy_insert(ExtensionRequest, out.extensions)
            copy_insert(TicketEvent, out.events)
            record_events(out.events)
            copy_insert(OutboundMessage, out.messages)
            report.statuses.update(t.status for t in out.tickets)
            report.created += len(out.tickets)
            bar.update(len(out.tickets))
        bar.close()
        with connection.cursor() as cur:
            cur.execute("ANALYZE dispatch_ticket")
    supervise_once(now=max(end, timezone.now()))  # flags what is due now and links repeat complaints
    report.seconds = time.monotonic() - started
    return report
