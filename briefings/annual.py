"""What a year's briefing adds to the month's figures [AN-1][AR-4].

The year reuses briefings.figures.compute_briefing as it is (volume, channels, category
shares over three years, rising categories, repeated complaints, slowest offices,
satisfaction, each against the previous year) and adds:

- the 12-month trend of the year against the previous year's months: from the rollups'
  township totals (month cells) when the scope is a whole area, else one grouped count;
- the difficult problems (难点问题) and the typical cases (典型案例), by this rule:
  a *difficult problem* is a (leaf category, township) pair whose tickets received in the
  year include at least DIFFICULT_MIN_TROUBLED *troubled* tickets — a repeated request
  (repeat_of set [SV-2]), an unsatisfied callback [CB-1], or a rework round after one —
  ranked by troubled tickets, then by all tickets; the *typical case* of each of the
  first TYPICAL_CASES problems is the first ticket of its longest repeat chain (the most
  repeats received in the year, chains followed to their root as the month briefing does),
  else one of its unsatisfied or reworked tickets of the year; ties go to an unsatisfied or
  reworked ticket, then to the latest. The case's text is shown
  redacted (the caller's name and phone out, then core.redact), never the caller.

Honours and the ranking link come from the assessment (the view adds them for the roles
that may read the assessment). Everything here is SQL aggregates over the scoped tickets
of the year (one range of the received_at index) or the rollups; nothing reads every
ticket into Python and nothing writes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import QuerySet

from briefings.figures import REPEAT_ROOTS_CTE, _inner, _run
from briefings.periods import Period
from core.dbrouter import read_connection
from core.redact import redact
from dispatch.models import Category, Status, Ticket
from grid.models import Area

DIFFICULT_MIN_TROUBLED = 3  # a pair needs at least this many troubled tickets in the year
TOP_DIFFICULT = 10
TYPICAL_CASES = 5
EXCERPT_CHARS = 80


@dataclass
class TrendMonth:
    label: str
    count: int
    previous: int  # the same month of the previous year


@dataclass
class DifficultProblem:
    category: str  # the leaf's path, 城市管理/下水道堵塞
    category_id: int | None
    township: str
    township_code: str
    tickets: int
    repeats: int
    unsatisfied: int
    reworked: int
    troubled: int  # tickets with any of the three, counted once

    @property
    def troubled_share(self) -> float:
        return self.troubled / self.tickets if self.tickets else 0.0


@dataclass
class TypicalCase:
    number: str
    received_at: dt.datetime
    category: str
    township: str
    address: str
    excerpt: str
    repeats: int
    unsatisfied: bool
    reworked: bool
    status: str


@dataclass
class Honour:
    group: str
    name: str
    score: float | None
    rank: int | None


@dataclass
class AnnualFigures:
    trend: list[TrendMonth]
    difficult: list[DifficultProblem]
    typical: list[TypicalCase]
    honours: list[Honour] = field(default_factory=list)
    assessment_url: str = ""  # set by the view for the roles that may read the assessment


# -- the SQL ---------------------------------------------------------------------------------

_TREND_SQL = """
SELECT date_trunc('month', t.received_at AT TIME ZONE %(tz)s)::date, count(*)
FROM ({inner}) t
WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
GROUP BY 1
"""

# The year's tickets once (one range of the received_at index), each flagged; then grouped. A ticket
# has a rework round only if its step rose, so the index probe runs for those few alone.
_DIFFICULT_SQL = """
WITH t AS MATERIALIZED (
    SELECT t.id, t.category_id, t.township_code, t.repeat_of_id, t.satisfaction, t.step FROM ({inner}) t
    WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
), f AS (
    SELECT t.category_id, t.township_code,
           t.repeat_of_id IS NOT NULL AS repeated,
           t.satisfaction = 'unsatisfied' AS unsatisfied,
           t.step > 1 AND EXISTS (
               SELECT 1 FROM dispatch_handlinground r WHERE r.ticket_id = t.id AND r.kind = 'rework'
           ) AS reworked
    FROM t
)
SELECT f.category_id, f.township_code, count(*),
       count(*) FILTER (WHERE f.repeated), count(*) FILTER (WHERE f.unsatisfied),
       count(*) FILTER (WHERE f.reworked),
       count(*) FILTER (WHERE f.repeated OR f.unsatisfied OR f.reworked)
FROM f
GROUP BY 1, 2
HAVING count(*) FILTER (WHERE f.repeated OR f.unsatisfied OR f.reworked) >= %(min)s
ORDER BY 7 DESC, 3 DESC, 1 NULLS LAST, 2
LIMIT %(limit)s
"""

# The typical ticket of each pair: the root of its longest repeat chain [SV-2] counting the pairs'
# repeats received in the year (the month briefing's chain walk, started from those alone), else a troubled ticket of the year; then an
# unsatisfied or reworked one, then the latest.
_TYPICAL_SQL = (
    "WITH RECURSIVE"
    + REPEAT_ROOTS_CTE.replace("{filter}", "AND t.category_id = ANY(%(cats)s) AND t.township_code = ANY(%(towns)s)")
    + """, candidates AS (
    SELECT root AS id, count(*) AS repeats FROM roots GROUP BY root
    UNION ALL
    SELECT t.id, 0 FROM ({inner}) t
    WHERE t.received_at >= %(start)s AND t.received_at < %(end)s
      AND t.category_id = ANY(%(cats)s) AND t.township_code = ANY(%(towns)s)
      AND (t.satisfaction = 'unsatisfied' OR t.step > 1
           AND EXISTS (SELECT 1 FROM dispatch_handlinground r WHERE r.ticket_id = t.id AND r.kind = 'rework'))
), scored AS (
    SELECT c.id, max(c.repeats) AS repeats FROM candidates c GROUP BY c.id
)
SELECT DISTINCT ON (k.category_id, k.township_code) k.id, k.category_id, k.township_code, s.repeats,
       k.satisfaction = 'unsatisfied' AS unsatisfied,
       EXISTS (SELECT 1 FROM dispatch_handlinground r WHERE r.ticket_id = k.id AND r.kind = 'rework') AS reworked
FROM scored s JOIN dispatch_ticket k ON k.id = s.id
WHERE k.category_id = ANY(%(cats)s) AND k.township_code = ANY(%(towns)s)
ORDER BY k.category_id, k.township_code, s.repeats DESC,
         (k.satisfaction = 'unsatisfied')::int
         + EXISTS (SELECT 1 FROM dispatch_handlinground r WHERE r.ticket_id = k.id AND r.kind = 'rework')::int DESC,
         k.received_at DESC, k.id DESC
"""
)


def _run_inners(sql: str, qs: QuerySet[Ticket], fields: tuple[str, ...], params: dict) -> list[tuple]:
    """Like figures._run, for SQL that uses the scoped tickets ({inner}) more than once."""
    inner, inner_params = _inner(qs, *fields)
    parts = sql.split("{inner}")
    values: list = []
    out_sql = []
    for i, part in enumerate(parts):
        names: list[str] = []

        def positional(m: re.Match, names=names) -> str:
            names.append(m.group(1))
            return "%s"

        out_sql.append(re.sub(r"%\((\w+)\)s", positional, part))
        values += [params[n] for n in names]
        if i < len(parts) - 1:
            out_sql.append(inner)
            values += inner_params
    with read_connection().cursor() as cur:
        cur.execute("".join(out_sql), values)
        return cur.fetchall()


def _excerpt(ticket: Ticket) -> str:
    """The request's first words without the caller: their own name and phone out, then core.redact."""
    text = ticket.description or ""
    for known, mark in ((ticket.caller_name, "某某"), (ticket.caller_phone, "[电话]")):
        known = (known or "").strip()
        if len(known) >= 2:
            text = text.replace(known, mark)
    text = " ".join(redact(text).split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _township_names(codes: set[str]) -> dict[str, str]:
    return dict(Area.objects.current().filter(code__in=codes).values_list("code", "name")) if codes else {}


def year_trend(accepted: QuerySet[Ticket], period: Period, *, rollup_area: str | None, tz: str) -> list[TrendMonth]:
    """The year's tickets per month against the previous year's same month."""
    start, _e = period.previous().bounds()
    _s, end = period.bounds()
    if rollup_area is not None:
        from rollups.selectors import month_totals

        counts = month_totals(period.previous().start, period.end + dt.timedelta(days=1), area_code=rollup_area)
    else:
        rows = _run(_TREND_SQL, accepted, ("id", "received_at"), {"tz": tz, "start": start, "end": end})
        counts = {day: n for day, n in rows}
    return [
        TrendMonth(
            label=m.short_label,
            count=counts.get(m.start, 0),
            previous=counts.get(m.start.replace(year=m.start.year - 1), 0),
        )
        for m in period.months()
    ]


def difficult_problems(accepted: QuerySet[Ticket], period: Period) -> list[DifficultProblem]:
    """The year's difficult problems by the module's rule, the most troubled first."""
    start, end = period.bounds()
    rows = _run(
        _DIFFICULT_SQL,
        accepted,
        ("id", "received_at", "category_id", "township_code", "repeat_of_id", "satisfaction", "step"),
        {"start": start, "end": end, "min": DIFFICULT_MIN_TROUBLED, "limit": TOP_DIFFICULT},
    )
    cats = {c.id: c for c in Category.objects.select_related("parent").filter(id__in={r[0] for r in rows})}
    towns = _township_names({r[1] for r in rows if r[1]})
    return [
        DifficultProblem(
            category=cats[r[0]].path if r[0] in cats else "—",
            category_id=r[0],
            township=towns.get(r[1], r[1] or "—"),
            township_code=r[1],
            tickets=r[2],
            repeats=r[3],
            unsatisfied=r[4],
            reworked=r[5],
            troubled=r[6],
        )
        for r in rows
    ]


def typical_cases(accepted: QuerySet[Ticket], period: Period, problems: list[DifficultProblem]) -> list[TypicalCase]:
    """One typical ticket for each of the first TYPICAL_CASES difficult problems, in their order."""
    wanted = [(p.category_id, p.township_code) for p in problems[:TYPICAL_CASES] if p.category_id is not None]
    if not wanted:
        return []
    start, end = period.bounds()
    rows = _run_inners(
        _TYPICAL_SQL,
        accepted,
        ("id", "received_at", "category_id", "township_code", "repeat_of_id", "satisfaction", "step"),
        {
            "start": start,
            "end": end,
            "cats": sorted({c for c, _t in wanted}),
            "towns": sorted({t for _c, t in wanted}),
        },
    )
    by_pair = {(r[1], r[2]): r for r in rows}
    picked = [by_pair[pair] for pair in wanted if pair in by_pair]
    tickets = {
        t.id: t
        for t in Ticket.objects.select_related("category__parent")
        .only(
            "id",
            "number",
            "received_at",
            "address",
            "description",
            "caller_name",
            "caller_phone",
            "status",
            "township_code",
            "category__name",
            "category__code",
            "category__parent__name",
        )
        .filter(id__in=[r[0] for r in picked])
    }
    towns = {p.township_code: p.township for p in problems}
    out = []
    for r in picked:
        t = tickets[r[0]]
        out.append(
            TypicalCase(
                number=t.number,
                received_at=t.received_at,
                category=t.category.path if t.category else "—",
                township=towns.get(t.township_code, ""),
                address=redact(t.address or ""),
                excerpt=_excerpt(t),
                repeats=r[3],
                unsatisfied=r[4],
                reworked=r[5],
                status=str(Status(t.status).label),
            )
        )
    return out


def compute_annual(accepted: QuerySet[Ticket], period: Period, *, rollup_area: str | None, tz: str) -> AnnualFigures:
    """The year's additions over accepted tickets of the scope (refused ones already excluded)."""
    problems = difficult_problems(accepted, period)
    return AnnualFigures(
        trend=year_trend(accepted, period, rollup_area=rollup_area, tz=tz),
        difficult=problems,
        typical=typical_cases(accepted, period, problems),
    )


def year_honours(year: int, *, today: dt.date) -> list[Honour]:
    """The units named "优质服务热线单位" for the year [AR-4], as the assessment's year page ranks them
    (its stored month tables, the months so far for the running year)."""
    from assessment.metrics import GROUP_LABELS, GROUPS, annual_results
    from assessment.store import months_tables

    months = 12 if year < today.year else today.month
    stored = months_tables([(year, m) for m in range(1, months + 1)])
    results = annual_results(year, months=months, assess=lambda y, m: stored[(y, m)].tables)
    return [
        Honour(group=str(GROUP_LABELS[g]), name=r.name, score=r.score, rank=r.rank)
        for g in GROUPS
        for r in results[g]
        if r.honour
    ]
