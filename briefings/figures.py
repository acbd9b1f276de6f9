"""Weekly and monthly briefings: what citizens called about, computed from the tickets [AN-1][AN-2].

A briefing covers one period (an ISO week such as 2026-W46, or a month such as
2026-10) and one scoped set of tickets (start from selectors.tickets_visible_to
and narrow it to an area). It holds:

- the volume, and its change against the previous period;
- the volume by channel [IN-1];
- the shares of the top-level categories over the last three periods, the way
  the center reports them ("城市管理 12.8% → 12.7% → 13.9%") [AN-2];
- the rising categories (leaf categories whose count grew the most, with a
  minimum count so that 1 → 3 is not news);
- the repeated complaints [SV-2], grouped by the first ticket of each chain;
- the slowest offices (median and mean hours from assignment to the lead reply,
  and their overdue replies);
- the satisfaction rate of the callbacks made in the period [CB-1], and its change.

A year's briefing [AN-1][AR-4] has the same figures against the previous year, and its own
sections in `annual` (briefings.annual: the 12-month trend, the difficult problems and typical
cases, the honours).

Hotspots come from the maps (dispatch does not import maps): the page that
shows a briefing fills `hotspots` with `BriefingHotspot` rows of its own.
Every figure is computed in PostgreSQL from the indexed columns; nothing here
writes. Tickets that were not accepted [IN-4] are not counted.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from briefings.periods import Period
from core.dbrouter import read_connection
from dispatch.models import Category, Channel, Status, Ticket
from rollups.selectors import period_counts

if TYPE_CHECKING:
    from briefings.annual import AnnualFigures

RISING_MIN_COUNT = {
    "week": 5,
    "month": 10,
    "year": 30,
}  # a category must have at least this many tickets to be "rising"
SLOW_MIN_REPLIES = {"week": 3, "month": 5, "year": 20}  # an office is ranked by its reply time from this many replies
TOP_REPEATS = 10
TOP_SLOWEST = 10
TOP_RISING = 5
UNCATEGORISED = "—"

# -- the briefing ---------------------------------------------------------------------


@dataclass
class Change:
    """A figure now, before, and the change (absolute, and relative when before > 0)."""

    now: float
    before: float

    @property
    def relative(self) -> float | None:
        return (self.now - self.before) / self.before if self.before else None


@dataclass
class ChannelRow:
    code: str
    name: str
    count: int
    previous: int
    share: float


@dataclass
class CategoryShare:
    """A top-level category's share of all tickets over the last three periods (oldest first)."""

    code: str
    name: str
    counts: list[int]
    shares: list[float]

    @property
    def change(self) -> float:
        """Share now minus share in the previous period (a fraction: 0.012 = 1.2 percentage points)."""
        return self.shares[-1] - self.shares[-2]


@dataclass
class RisingCategory:
    code: str
    path: str
    count: int
    previous: int
    share: float
    previous_share: float

    @property
    def share_change(self) -> float:
        return self.share - self.previous_share

    @property
    def count_change(self) -> int:
        return self.count - self.previous


@dataclass
class RepeatChain:
    """The first ticket of a problem raised again [SV-2], and its repeats received in the period."""

    number: str
    category: str
    place: str
    address: str
    repeats: int
    latest_at: dt.datetime


@dataclass
class SlowOffice:
    office_id: int
    name: str
    handled: int
    replied: int
    median_hours: float | None
    mean_hours: float | None
    overdue: int


@dataclass
class Satisfaction:
    callbacks: int
    satisfied: int
    basic: int
    unsatisfied: int
    previous_callbacks: int
    previous_satisfied: int  # satisfied + basically satisfied

    @property
    def rate(self) -> float | None:
        return (self.satisfied + self.basic) / self.callbacks if self.callbacks else None

    @property
    def previous_rate(self) -> float | None:
        return self.previous_satisfied / self.previous_callbacks if self.previous_callbacks else None

    @property
    def change(self) -> float | None:
        if self.rate is None or self.previous_rate is None:
            return None
        return self.rate - self.previous_rate


@dataclass
class BriefingHotspot:
    """A hotspot of the period as the maps found it, handed to the briefing as plain data."""

    label: str
    category: str
    township: str
    township_code: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    hull_wkt: str
    centroid: tuple[float, float]
    map_url: str = ""


@dataclass
class Briefing:
    period: Period
    area_code: str
    area_name: str
    generated_at: dt.datetime
    complete: bool  # False while the period is still running
    volume: Change
    channels: list[ChannelRow]
    periods: list[Period]  # the three periods of the category shares, oldest first
    totals: list[int]  # their volumes
    categories: list[CategoryShare]
    rising: list[RisingCategory]
    repeats_total: int
    repeats_previous: int
    repeat_chains: list[RepeatChain]
    slowest: list[SlowOffice]
    satisfaction: Satisfaction
    hotspots: list[BriefingHotspot] = field(default_factory=list)
    annual: AnnualFigures | None = None  # a year's briefing only

    @property
    def headlines(self) -> list[str]:
        """The sentences a leader reads first [AN-2]."""
        return headlines(self)


# -- computing it -----------------------------------------------------------------------

_COUNT_SQL = """
SELECT CASE WHEN t.received_at >= %(p2)s THEN 2 WHEN t.received_at >= %(p1)s THEN 1 ELSE 0 END AS period,
       t.channel, coalesce(c.parent_id, c.id) AS top_id, t.category_id, count(*)
FROM ({inner}) t LEFT JOIN dispatch_category c ON c.id = t.category_id
WHERE t.received_at >= %(p0)s AND t.received_at < %(end)s
GROUP BY 1, 2, 3, 4
"""

# Each repeat of the period's (scoped) tickets walked back to the first request of its chain: the
# `roots` (repeat id, root id) of a `WITH RECURSIVE`. {filter} narrows the repeats taken (the annual
# briefing's chosen categories and townships); the chain itself may reach before the period.
REPEAT_ROOTS_CTE = """
chain(id, root, depth) AS (
  SELECT t.id, t.repeat_of_id, 1 FROM ({inner}) t
  WHERE t.repeat_of_id IS NOT NULL AND t.received_at >= %(start)s AND t.received_at < %(end)s {filter}
  UNION ALL
  SELECT chain.id, p.repeat_of_id, chain.depth + 1
  FROM chain JOIN dispatch_ticket p ON p.id = chain.root
  WHERE p.repeat_of_id IS NOT NULL AND chain.depth < 50
), roots AS (
  SELECT DISTINCT ON (chain.id) chain.id, chain.root FROM chain ORDER BY chain.id, chain.depth DESC
)"""

_REPEAT_SQL = (
    "WITH RECURSIVE"
    + REPEAT_ROOTS_CTE.replace("{filter}", "")
    + """
SELECT r.id, r.number, coalesce(pc.name || '/' || c.name, c.name, ''), r.place_names, r.address,
       count(*), max(rep.received_at)
FROM roots JOIN dispatch_ticket r ON r.id = roots.root JOIN dispatch_ticket rep ON rep.id = roots.id
LEFT JOIN dispatch_category c ON c.id = r.category_id LEFT JOIN dispatch_category pc ON pc.id = c.parent_id
GROUP BY r.id, r.number, 3, r.place_names, r.address
ORDER BY count(*) DESC, max(rep.received_at) DESC, r.number
LIMIT %(limit)s
"""
)

# Lead assignments of the period's tickets, not returned: how long from assignment to the reply,
# and how many replied after the resolve deadline of their own handling round (or have not replied and
# that deadline is past): a rework's later deadline does not excuse the first round (dispatch.HandlingRound).
# The period's tickets first (one range of the received_at index), then their assignments: joined
# directly, the planner misjudged the join at 10M tickets and walked the whole ticket table (4.4 s).
_SLOW_SQL = """
WITH t AS MATERIALIZED (
    SELECT t.id FROM ({inner}) t WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
)
SELECT a.office_id, o.name, count(*),
       count(a.replied_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.replied_at - a.assigned_at) / 3600.0),
       avg(extract(epoch FROM a.replied_at - a.assigned_at) / 3600.0),
       count(*) FILTER (WHERE r.resolve_by IS NOT NULL
                        AND coalesce(a.replied_at, %(now)s) > r.resolve_by)
FROM dispatch_assignment a
JOIN t ON t.id = a.ticket_id
LEFT JOIN dispatch_handlinground r ON r.ticket_id = a.ticket_id AND r.step = a.step
JOIN grid_office o ON o.id = a.office_id
WHERE a.role = 'lead' AND a.state <> 'returned'
GROUP BY a.office_id, o.name
HAVING count(a.replied_at) >= %(min_replies)s
ORDER BY 5 DESC NULLS LAST, 6 DESC NULLS LAST, o.name
LIMIT %(limit)s
"""

_SATISFACTION_SQL = """
SELECT count(*) FILTER (WHERE t.callback_at >= %(start)s),
       count(*) FILTER (WHERE t.callback_at >= %(start)s AND t.satisfaction = 'satisfied'),
       count(*) FILTER (WHERE t.callback_at >= %(start)s AND t.satisfaction = 'basic'),
       count(*) FILTER (WHERE t.callback_at >= %(start)s AND t.satisfaction = 'unsatisfied'),
       count(*) FILTER (WHERE t.callback_at < %(start)s),
       count(*) FILTER (WHERE t.callback_at < %(start)s AND t.satisfaction IN ('satisfied', 'basic'))
FROM ({inner}) t
WHERE t.callback_at >= %(prev)s AND t.callback_at < %(end)s AND t.satisfaction <> ''
"""


def _inner(qs: QuerySet[Ticket], *fields: str) -> tuple[str, list]:
    """The scoped queryset as SQL of plain columns, without ordering, for the queries above."""
    sql, params = qs.order_by().values(*fields).query.sql_with_params()
    return sql, list(params)


def _run(sql: str, qs: QuerySet[Ticket], fields: tuple[str, ...], params: dict) -> list[tuple]:
    """Run one of the queries above over qs; the named parameters are passed positionally."""
    inner, inner_params = _inner(qs, *fields)
    # The inner query uses %s placeholders, the outer ones %(name)s: turn the outer ones into %s.
    names: list[str] = []

    def positional(m: re.Match) -> str:
        names.append(m.group(1))
        return "%s"

    head, _sep, tail = sql.partition("{inner}")
    head_sql = re.sub(r"%\((\w+)\)s", positional, head)
    head_names = list(names)
    names.clear()
    tail_sql = re.sub(r"%\((\w+)\)s", positional, tail)
    values = [params[n] for n in head_names] + inner_params + [params[n] for n in names]
    with read_connection().cursor() as cur:
        cur.execute(head_sql + inner + tail_sql, values)
        return cur.fetchall()


def compute_briefing(
    qs: QuerySet[Ticket],
    period: Period,
    *,
    area_code: str = "",
    area_name: str = "",
    now: dt.datetime | None = None,
    rollup_area: str | None = None,
) -> Briefing:
    """The briefing of a period over a scoped set of tickets [AN-1][AN-2] (hotspots left empty).

    rollup_area: when qs is every ticket of an area, "" for the city or the county's or
    township's code: the volume, channels and category shares then come from the rollups'
    cells (the same counts, without reading the tickets)."""
    now = now or timezone.now()
    accepted = qs.exclude(status=Status.REFUSED)
    periods = [period.previous().previous(), period.previous(), period]
    (p0, _e0), (p1, _e1), (p2, end) = (p.bounds() for p in periods)

    # Volume, channels and categories of the three periods: one grouped query.
    if rollup_area is not None:
        rows = period_counts([p.bounds() for p in periods], area_code=rollup_area)
    else:
        rows = _run(
            _COUNT_SQL,
            accepted,
            ("id", "received_at", "channel", "category_id"),
            {"p0": p0, "p1": p1, "p2": p2, "end": end},
        )
    totals = [0, 0, 0]
    channel_counts: list[dict[str, int]] = [{}, {}, {}]
    top_counts: list[dict[int | None, int]] = [{}, {}, {}]
    leaf_counts: list[dict[int, int]] = [{}, {}, {}]
    for i, channel, top_id, leaf_id, n in rows:
        totals[i] += n
        channel_counts[i][channel] = channel_counts[i].get(channel, 0) + n
        top_counts[i][top_id] = top_counts[i].get(top_id, 0) + n
        if leaf_id is not None:
            leaf_counts[i][leaf_id] = leaf_counts[i].get(leaf_id, 0) + n

    names = {
        c.id: c
        for c in Category.objects.select_related("parent").filter(
            id__in={k for d in top_counts for k in d if k is not None} | {k for d in leaf_counts for k in d}
        )
    }

    def share(n: int, total: int) -> float:
        return n / total if total else 0.0

    channels = [
        ChannelRow(
            code=code,
            name=str(label),
            count=channel_counts[2].get(code, 0),
            previous=channel_counts[1].get(code, 0),
            share=share(channel_counts[2].get(code, 0), totals[2]),
        )
        for code, label in Channel.choices
        if channel_counts[2].get(code) or channel_counts[1].get(code)
    ]
    channels.sort(key=lambda c: (-c.count, -c.previous, c.code))

    categories = []
    for top_id in {k for d in top_counts for k in d}:
        counts = [top_counts[i].get(top_id, 0) for i in range(3)]
        cat = names.get(top_id) if top_id is not None else None
        categories.append(
            CategoryShare(
                code=cat.code if cat else "",
                name=cat.name if cat else UNCATEGORISED,
                counts=counts,
                shares=[share(counts[i], totals[i]) for i in range(3)],
            )
        )
    categories.sort(key=lambda c: (-c.counts[2], -c.counts[1], c.code))

    min_count = RISING_MIN_COUNT[period.kind]
    rising = []
    for leaf_id, n in leaf_counts[2].items():
        before = leaf_counts[1].get(leaf_id, 0)
        if n < min_count or n <= before:
            continue
        cat = names[leaf_id]
        rising.append(
            RisingCategory(
                code=cat.code,
                path=cat.path,
                count=n,
                previous=before,
                share=share(n, totals[2]),
                previous_share=share(before, totals[1]),
            )
        )
    # The largest gain in share first (a category can grow in count only because all grew), then in count.
    rising.sort(key=lambda r: (-r.share_change, -r.count_change, r.code))
    rising = [r for r in rising if r.share_change > 0][:TOP_RISING]

    start = p2
    chains = [
        RepeatChain(number=r[1], category=r[2], place=r[3], address=r[4], repeats=r[5], latest_at=r[6])
        for r in _run(
            _REPEAT_SQL,
            accepted,
            ("id", "received_at", "repeat_of_id"),
            {"start": start, "end": end, "limit": TOP_REPEATS},
        )
    ]
    repeat_counts = accepted.filter(repeat_of__isnull=False, received_at__gte=p1, received_at__lt=end).aggregate(
        now=Count("id", filter=Q(received_at__gte=p2)), before=Count("id", filter=Q(received_at__lt=p2))
    )
    repeats_total, repeats_previous = repeat_counts["now"], repeat_counts["before"]

    slowest = [
        SlowOffice(
            office_id=r[0],
            name=r[1],
            handled=r[2],
            replied=r[3],
            median_hours=None if r[4] is None else round(float(r[4]), 2),
            mean_hours=None if r[5] is None else round(float(r[5]), 2),
            overdue=r[6],
        )
        for r in _run(
            _SLOW_SQL,
            accepted,
            ("id", "received_at", "resolve_by"),
            {
                "start": start,
                "end": end,
                "now": now,
                "min_replies": SLOW_MIN_REPLIES[period.kind],
                "limit": TOP_SLOWEST,
            },
        )
    ]

    (s,) = _run(
        _SATISFACTION_SQL,
        accepted,
        ("id", "callback_at", "satisfaction"),
        {"start": start, "prev": p1, "end": end},
    )
    satisfaction = Satisfaction(
        callbacks=s[0], satisfied=s[1], basic=s[2], unsatisfied=s[3], previous_callbacks=s[4], previous_satisfied=s[5]
    )

    return Briefing(
        period=period,
        area_code=area_code,
        area_name=area_name,
        generated_at=now,
        complete=now >= end,
        volume=Change(now=totals[2], before=totals[1]),
        channels=channels,
        periods=periods,
        totals=totals,
        categories=categories,
        rising=rising,
        repeats_total=repeats_total,
        repeats_previous=repeats_previous,
        repeat_chains=chains,
        slowest=slowest,
        satisfaction=satisfaction,
    )


# -- the headlines ------------------------------------------------------------------------


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def points(x: float | None) -> str:
    """A change of share in percentage points, signed: +1.2."""
    return "—" if x is None else f"{x * 100:+.1f}"


# The words of a week and of a month, whole (Chinese says 本周/本月, 上周/上月, 连续三周/连续三个月).
PERIOD_WORDS = {
    "week": {
        "this": gettext_lazy("this week"),
        "previous": gettext_lazy("the previous week"),
        "three": gettext_lazy("three weeks running"),
    },
    "month": {
        "this": gettext_lazy("this month"),
        "previous": gettext_lazy("the previous month"),
        "three": gettext_lazy("three months running"),
    },
    "year": {
        "this": gettext_lazy("this year"),
        "previous": gettext_lazy("the previous year"),
        "three": gettext_lazy("three years running"),
    },
}


def headlines(b: Briefing) -> list[str]:
    """The few sentences at the top of a briefing, in the words the center uses [AN-2]."""
    lines = []
    words = {k: str(v) for k, v in PERIOD_WORDS[b.period.kind].items()}
    sep = pgettext("list separator", ", ")
    rel = b.volume.relative
    if rel is None:
        lines.append(_("%(count)s tickets %(this)s.") % {"count": int(b.volume.now), **words})
    else:
        lines.append(
            _("%(count)s tickets %(this)s, %(change)s on %(previous)s (%(before)s).")
            % {"count": int(b.volume.now), "change": f"{rel * 100:+.1f}%", "before": int(b.volume.before), **words}
        )
    named = [c for c in b.categories if c.code]
    if named:
        leaders = [max(named, key=lambda c, i=i: (c.counts[i], c.code)) for i in range(3)]
        top = leaders[2]
        series = " → ".join(pct(s) for s in top.shares)
        if all(b.totals) and all(leader.code == top.code for leader in leaders):
            lines.append(
                _("%(category)s was the top category %(three)s: %(series)s of all tickets.")
                % {"category": top.name, "series": series, **words}
            )
        else:
            lines.append(
                _("The top category is %(category)s with %(share)s of all tickets (%(series)s).")
                % {"category": top.name, "share": pct(top.shares[2]), "series": series}
            )
    if b.rising:
        items = [
            _("%(path)s (%(before)s → %(now)s)") % {"path": r.path, "before": r.previous, "now": r.count}
            for r in b.rising[:3]
        ]
        lines.append(_("Rising: %(list)s.") % {"list": sep.join(items)})
    if b.hotspots:
        lines.append(_("Hotspots: %(list)s.") % {"list": sep.join(h.label for h in b.hotspots[:3])})
    sat = b.satisfaction
    if sat.rate is not None:
        if sat.change is None:
            lines.append(_("Satisfaction %(rate)s over %(n)s callbacks.") % {"rate": pct(sat.rate), "n": sat.callbacks})
        else:
            lines.append(
                _("Satisfaction %(rate)s over %(n)s callbacks (%(change)s points on %(previous)s).")
                % {"rate": pct(sat.rate), "n": sat.callbacks, "change": points(sat.change), **words}
            )
    return lines
