"""Monthly assessment of the units that answer tickets [AR-1][AR-2][AR-3].

The figures come from the tickets' own records: each lead assignment made in the
month (not returned with the center's approval) is one handled ticket of the
office holding it, and its sign-for, contact, reply, review, extension, rework
(a `rework` TicketEvent), overdue, repeat and callback facts are counted in one
SQL pass. Counts add up from offices to the ranked units (a township = its
service center and its workstations; a district or county = every office of
its area; a department = itself), so every rate is computed after summing.
Formulas and default weights: docs/assessment.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.dbrouter import read_connection
from grid.models import Area, Level, Office

GROUPS = ("central_districts", "central_townships", "counties", "departments")
GROUP_LABELS = {
    "central_districts": gettext_lazy("Central five districts"),
    "central_townships": gettext_lazy("Townships of the central districts"),
    "counties": gettext_lazy("The other 7 counties"),
    "departments": gettext_lazy("City departments"),
}

COUNTS = (
    "handled",
    "signed_on_time",
    "contacted",
    "due",
    "replied_on_time",
    "closed",
    "reviewed",
    "accepted_first",
    "returns",
    "refused_returns",
    "extensions",
    "reworked",
    "overdue",
    "repeats",
    "callbacks",
    "satisfied",
)

# metric -> (numerator, denominator, points when the rate is 100%): the default weights [AR-2]
RATE_WEIGHTS = {
    "sign_on_time_rate": ("signed_on_time", "handled", 10),
    "contact_rate": ("contacted", "handled", 10),
    "reply_on_time_rate": ("replied_on_time", "due", 20),
    "closure_rate": ("closed", "handled", 15),
    "reply_quality": ("accepted_first", "reviewed", 10),
    "satisfaction_rate": ("satisfied", "callbacks", 35),
}
# penalty -> (count, denominator, points per percentage point, cap): the default penalties [AR-2]
PENALTIES = {
    "overdue": ("overdue", "handled", 0.5, 10),
    "rework": ("reworked", "handled", 0.5, 5),
    "refused_returns": ("refused_returns", "handled", 1.0, 5),
    "repeats": ("repeats", "handled", 0.5, 5),
}


@dataclass
class Scheme:
    """The weights and penalty caps a month is scored with [AR-2]: a year's AssessmentScheme or the defaults."""

    weights: dict[str, float]  # rate metric -> points when the rate is 100%
    penalties: dict[str, tuple[float, float]]  # penalty -> (points per percentage point, cap)
    year: int | None = None  # None: the defaults
    scheme_id: int | None = None

    def as_json(self) -> dict:
        return {
            "year": self.year,
            "scheme_id": self.scheme_id,
            "weights": self.weights,
            "penalties": {k: list(v) for k, v in self.penalties.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Scheme:
        if not data:
            return DEFAULT_SCHEME
        return cls(
            {k: float(v) for k, v in data["weights"].items()},
            {k: (float(p), float(c)) for k, (p, c) in data["penalties"].items()},
            data.get("year"),
            data.get("scheme_id"),
        )


DEFAULT_SCHEME = Scheme(
    {name: float(w) for name, (_n, _d, w) in RATE_WEIGHTS.items()},
    {name: (float(p), float(c)) for name, (_n, _d, p, c) in PENALTIES.items()},
)


def scheme_for_year(year: int) -> Scheme:
    """The year's scheme from admin (AssessmentScheme), or DEFAULT_SCHEME when the year has none [AR-2]."""
    from assessment.models import AssessmentScheme

    row = AssessmentScheme.objects.filter(year=year).first()
    if row is None:
        return DEFAULT_SCHEME
    return Scheme(
        {metric: float(getattr(row, f)) for metric, f in AssessmentScheme.RATE_FIELDS.items()},
        {
            p: (float(getattr(row, pf)), float(getattr(row, cf)))
            for p, (pf, cf) in AssessmentScheme.PENALTY_FIELDS.items()
        },
        row.year,
        row.id,
    )


# What cost a unit points [AR-1]: for a rate, the tickets its denominator counts and its numerator
# does not; for a penalty, the tickets it counts. metric -> (count that must hold, count that misses)
COSTS = {
    "sign_on_time_rate": ("handled", "signed_on_time"),
    "contact_rate": ("handled", "contacted"),
    "reply_on_time_rate": ("due", "replied_on_time"),
    "closure_rate": ("handled", "closed"),
    "reply_quality": ("reviewed", "accepted_first"),
    "satisfaction_rate": ("callbacks", "satisfied"),
    "overdue": ("overdue", None),
    "rework": ("reworked", None),
    "refused_returns": ("refused_returns", None),
    "repeats": ("repeats", None),
}


# What makes one lead assignment (a, of ticket t, in its handling round r; fr = its first reviewed reply)
# count, besides not being returned with approval. Deadlines, contact, closing, overdue and the callback
# are the round's own (dispatch.HandlingRound): a later round (rework, re-dispatch) never rewrites how an
# earlier one is judged [AR-1][SLA-4]. The month's counts and the drill-down's ticket lists are both built from
# these, so a unit's tickets that cost points are exactly the ones its counts miss.
CONDITIONS = {
    "handled": "true",
    "signed_on_time": "a.signed_at IS NOT NULL AND (r.sign_by IS NULL OR a.signed_at <= r.sign_by)",
    # [HD-1] only a real contact counts: one recorded before the reply (a failed attempt leaves contacted_at
    # empty; the reply service once stamped it with the reply's own time, which is not a contact)
    "contacted": "r.contacted_at IS NOT NULL AND (a.replied_at IS NULL OR r.contacted_at < a.replied_at)",
    "due": "(a.replied_at IS NOT NULL OR r.resolve_by < %(now)s)",
    "replied_on_time": "a.replied_at IS NOT NULL AND (r.resolve_by IS NULL OR a.replied_at <= r.resolve_by)",
    "closed": "r.closed_at IS NOT NULL",
    "reviewed": "fr.review IS NOT NULL",
    "accepted_first": "fr.review = 'accepted'",
    "refused_returns": "a.return_requested_at IS NOT NULL",
    "reworked": "EXISTS (SELECT 1 FROM dispatch_handlinground n"
    " WHERE n.ticket_id = a.ticket_id AND n.step = a.step + 1 AND n.kind = 'rework')",
    "overdue": "r.overdue_at IS NOT NULL",
    "repeats": "t.repeat_of_id IS NOT NULL",
    "callbacks": "coalesce(r.satisfaction, '') <> ''",
    "satisfied": "r.satisfaction IN ('satisfied', 'basic')",
}
# [AR-5] An upheld appeal (assessment.Exemption with one metric, ap.metrics) undoes that metric's deduction
# for that assignment: a rate counts the ticket as met, a penalty no longer counts it.
for _metric, (_holds, _misses) in COSTS.items():
    _flag = f"coalesce('{_metric}' = ANY(ap.metrics), false)"
    if _misses:
        CONDITIONS[_misses] = f"({CONDITIONS[_misses]} OR {_flag})"
    else:
        CONDITIONS[_holds] = f"({CONDITIONS[_holds]} AND NOT {_flag})"
# Not returned with approval, and not ruled an unreasonable repeated demand [AR-5] (assessment.Exemption).
WHOLE = "NOT EXISTS (SELECT 1 FROM assessment_exemption x WHERE x.ticket_id = a.ticket_id AND x.metric = '')"
KEPT = f"a.state <> 'returned' AND {WHOLE}"

_FROM = """
FROM dispatch_assignment a
JOIN dispatch_ticket t ON t.id = a.ticket_id
LEFT JOIN dispatch_handlinground r ON r.ticket_id = a.ticket_id AND r.step = a.step
LEFT JOIN LATERAL (
  SELECT r.review FROM dispatch_reply r
  WHERE r.assignment_id = a.id AND r.review IN ('accepted', 'sent_back')
  ORDER BY r.replied_at, r.id LIMIT 1) fr ON true
LEFT JOIN LATERAL (
  SELECT array_agg(x.metric) AS metrics FROM assessment_exemption x
  WHERE x.assignment_id = a.id AND x.metric <> '') ap ON true
"""

SQL = (
    "SELECT a.office_id,\n"
    + ",\n".join(f"  count(*) FILTER (WHERE {KEPT} AND {cond}) AS {name}" for name, cond in CONDITIONS.items())
    + ",\n  count(*) FILTER (WHERE a.return_requested_at IS NOT NULL"  # approved ones too
    + f" AND {WHOLE}) AS returns"
    + f",\n  coalesce(sum(ex.n) FILTER (WHERE {KEPT}), 0)::bigint AS extensions"
    + _FROM
    + """LEFT JOIN LATERAL (
  SELECT count(*) AS n FROM dispatch_extensionrequest x
  WHERE x.assignment_id = a.id AND x.state = 'approved') ex ON true
WHERE a.role = 'lead' AND a.assigned_at >= %(start)s AND a.assigned_at < %(end)s
GROUP BY a.office_id
"""
)

TICKETS_SQL = (
    "SELECT t.id AS ticket_id, a.id AS assignment_id, t.number, t.received_at, o.name AS office,\n"
    "  concat_ws(' / ', pc.name, c.name) AS category,\n"
    + ",\n".join(f"  ({cond}) AS {name}" for name, cond in CONDITIONS.items())
    + _FROM
    + """JOIN grid_office o ON o.id = a.office_id
LEFT JOIN dispatch_category c ON c.id = t.category_id
LEFT JOIN dispatch_category pc ON pc.id = c.parent_id
WHERE a.role = 'lead' AND a.assigned_at >= %(start)s AND a.assigned_at < %(end)s
  AND a.office_id = ANY(%(offices)s) AND """
    + KEPT
    + """
ORDER BY t.received_at, t.id
"""
)


@dataclass
class UnitScore:
    group: str
    office_id: int
    name: str
    counts: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)
    penalties: dict = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None
    talk: bool = False


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def office_counts(start: dt.datetime, end: dt.datetime, *, now: dt.datetime | None = None) -> dict[int, dict]:
    """Per office id, the COUNTS of its lead assignments made in [start, end)."""
    with read_connection().cursor() as cur:
        cur.execute(SQL, {"start": start, "end": end, "now": now or timezone.now()})
        cols = [c.name for c in cur.description]
        return {row[0]: dict(zip(cols[1:], row[1:], strict=True)) for row in cur.fetchall()}


def score_counts(counts: dict, scheme: Scheme | None = None) -> tuple[dict, dict, float | None]:
    """Rates, penalties and the score (0–100) of one unit's counts; None when it handled nothing [AR-2].

    Scored with `scheme` (DEFAULT_SCHEME when None). A rate with nothing to
    measure (no callbacks yet) scores its full weight.
    """
    scheme = scheme or DEFAULT_SCHEME
    if not counts.get("handled"):
        return {}, {}, None
    rates, penalties, score = {}, {}, 0.0
    for name, (num, den, _default) in RATE_WEIGHTS.items():
        rate = counts[num] / counts[den] if counts[den] else None
        rates[name] = rate
        score += scheme.weights[name] * (1.0 if rate is None else rate)
    for name, (num, den, _per_point, _cap) in PENALTIES.items():
        per_point, cap = scheme.penalties[name]
        points = min(cap, per_point * 100.0 * counts[num] / counts[den])
        penalties[name] = points
        score -= points
    return rates, penalties, round(max(score, 0.0), 2)


def _central_counties() -> set[str]:
    return set(Area.objects.current().filter(level=Level.COUNTY, is_central=True).values_list("code", flat=True))


def _unit_group(office: Office, central_counties: set[str]) -> tuple[str, str] | None:
    """(group, area-code prefix or '' for a department) if the office is a ranked unit [AR-2]."""
    if office.kind == Office.Kind.COUNTY_DISPATCH and office.area_code in central_counties:
        return "central_districts", office.area_code
    if office.kind == Office.Kind.SUB_CENTER:
        return "counties", office.area_code
    if office.kind == Office.Kind.TOWNSHIP_CENTER and office.area_code[:6] in central_counties:
        return "central_townships", office.area_code
    if office.kind == Office.Kind.DEPARTMENT and is_city_department(office):
        return "departments", ""
    return None


def is_city_department(office: Office) -> bool:
    """A city department (市直单位) is ranked among the departments; a county's own department office (县直单位,
    its area code a county's) counts with its county [ORG-6][AR-2]. City-level codes end in 00 (GB/T 2260)."""
    return office.area_code.endswith("00")


RANKED_KINDS = (
    Office.Kind.COUNTY_DISPATCH,
    Office.Kind.SUB_CENTER,
    Office.Kind.TOWNSHIP_CENTER,
    Office.Kind.DEPARTMENT,
)


def ranked_units() -> list[tuple[str, Office, str]]:
    """(group, office, area-code prefix or '' for a department) of every unit ranked [AR-2]."""
    central = _central_counties()
    units = []
    for office in Office.objects.filter(is_active=True, kind__in=RANKED_KINDS).order_by("code"):
        found = _unit_group(office, central)
        if found:
            units.append((found[0], office, found[1]))
    return units


def ranked_unit(office_id: int) -> tuple[str, Office, list[int]] | None:
    """(group, office, ids of the offices whose tickets it answers for) of one ranked unit; None if not ranked."""
    office = Office.objects.filter(id=office_id, is_active=True).first()
    found = office and _unit_group(office, _central_counties())
    if not found:
        return None
    group, prefix = found
    if not prefix:
        return group, office, [office.id]
    members = Office.objects.filter(area_code__startswith=prefix).exclude(
        kind=Office.Kind.DEPARTMENT, area_code__endswith="00"
    )
    return group, office, list(members.values_list("id", flat=True))


def assess_month(
    year: int, month: int, *, now: dt.datetime | None = None, scheme: Scheme | None = None
) -> dict[str, list[UnitScore]]:
    """The month's four ranking tables [AR-2], each sorted by score, with the talk flags [AR-3].

    Scored with `scheme`, by default the scheme of the month's year (scheme_for_year).
    """
    scheme = scheme or scheme_for_year(year)
    start, end = month_bounds(year, month)
    per_office = office_counts(start, end, now=now)
    offices = dict(  # every office of an area: its county's own departments too [ORG-6]
        Office.objects.filter(id__in=per_office)
        .exclude(kind=Office.Kind.DEPARTMENT, area_code__endswith="00")
        .values_list("id", "area_code")
    )
    tables: dict[str, list[UnitScore]] = {g: [] for g in GROUPS}
    for group, office, prefix in ranked_units():
        if prefix:
            members = [oid for oid, code in offices.items() if code.startswith(prefix)]
        else:
            members = [office.id] if office.id in per_office else []
        counts = {c: sum(per_office[m][c] for m in members) for c in COUNTS}
        rates, penalties, score = score_counts(counts, scheme)
        tables[group].append(UnitScore(group, office.id, office.name, counts, rates, penalties, score))
    for group, rows in tables.items():
        rows.sort(key=lambda u: (u.score is None, -(u.score or 0), u.name))
        scored = [u for u in rows if u.score is not None]
        for i, u in enumerate(scored, 1):
            u.rank = i
        for u in talk_flags(group, [(x.office_id, x.score) for x in scored]):
            next(x for x in scored if x.office_id == u).talk = True
    return tables


@dataclass
class Cost:
    """One metric that cost a unit points in a month, with the tickets that cost them."""

    metric: str
    points: float
    tickets: list[dict]


def unit_costs(
    year: int, month: int, office_ids: list[int], *, counts: dict, scheme: Scheme, now: dt.datetime
) -> list[Cost]:
    """Per metric that cost the unit points [AR-1][AR-2], the points lost and the tickets that lost them.

    `counts` are the unit's counts for the month (as stored); `now` the time they
    were computed at, so that "due" means the same as in them. A rate's points
    lost are weight × (1 − rate); a penalty's are its points.
    """
    start, end = month_bounds(year, month)
    with read_connection().cursor() as cur:
        cur.execute(TICKETS_SQL, {"start": start, "end": end, "now": now, "offices": list(office_ids)})
        cols = [c.name for c in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    rates, penalties, _score = score_counts(counts, scheme) if counts.get("handled") else ({}, {}, None)
    out = []
    for metric, (holds, misses) in COSTS.items():
        if metric in RATE_WEIGHTS:
            rate = rates.get(metric)
            points = 0.0 if rate is None else scheme.weights[metric] * (1.0 - rate)
            tickets = [r for r in rows if r[holds] and not r[misses]]
        else:
            points = penalties.get(metric, 0.0)
            tickets = [r for r in rows if r[holds]]
        if points > 0 and tickets:
            out.append(Cost(metric, round(points, 2), tickets))
    return out


def talk_flags(group: str, ranking: list[tuple[int, float]]) -> list[int]:
    """Units summoned for a talk this month [AR-3], from (unit, score) ranked best first.

    Districts/counties: the last-placed unit if below 90% of the group's top.
    Departments and central townships: each of the last two if below 85% of the top.
    """
    if len(ranking) < 2:
        return []
    top = ranking[0][1]
    if group in ("central_districts", "counties"):
        last, score = ranking[-1]
        return [last] if score < 0.9 * top else []
    return [unit for unit, score in ranking[-2:] if score < 0.85 * top]


def escalation(talk_months: list[bool], year_talks: int) -> str:
    """The consequence of this month's talk given the unit's history [AR-3].

    talk_months: whether the unit was summoned in each month, oldest first, ending this month;
    year_talks: its talks in this calendar year, this month included.
    Two in a row or three in a year → talk with the chief; three in a row or five
    in a year → public statement.
    """
    if not talk_months or not talk_months[-1]:
        return ""
    run = 0
    for flagged in reversed(talk_months):
        if not flagged:
            break
        run += 1
    if run >= 3 or year_talks >= 5:
        return "public_statement"
    if run >= 2 or year_talks >= 3:
        return "chief_talk"
    return "talk"


def previous_months(year: int, month: int, n: int) -> list[tuple[int, int]]:
    """The n months ending with (year, month), oldest first."""
    out = []
    for _ in range(n):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


@dataclass
class Accountability:
    group: str
    office_id: int
    name: str
    score: float
    consequence: str  # talk, chief_talk or public_statement [AR-3]
    run: int
    year_talks: int
    year_score: float | None


def accountability(year: int, month: int, *, assess=assess_month) -> list[Accountability]:
    """The units summoned this month, with their streaks and the year's score (mean of months) [AR-2][AR-3].

    `assess(year, month)` gives a month's tables (the pages pass the stored tables, assessment.store).
    """
    months = previous_months(year, month, month)  # the calendar year so far: runs do not cross the new year
    history = [assess(y, m) for y, m in months]
    now = history[-1]
    out = []
    for group, rows in now.items():
        for unit in rows:
            if not unit.talk:
                continue
            flags, year_talks, year_scores = [], 0, []
            for (y, _m), tables in zip(months, history, strict=True):
                if y != year:  # [AR-3] "in a row" and "within one year" both count within the calendar year
                    continue
                row = next((u for u in tables[group] if u.office_id == unit.office_id), None)
                flagged = bool(row and row.talk)
                flags.append(flagged)
                year_talks += flagged
                if row and row.score is not None:
                    year_scores.append(row.score)
            run = 0
            for flagged in reversed(flags):
                if not flagged:
                    break
                run += 1
            out.append(
                Accountability(
                    group,
                    unit.office_id,
                    unit.name,
                    unit.score,
                    escalation(flags, year_talks),
                    run,
                    year_talks,
                    round(sum(year_scores) / len(year_scores), 2) if year_scores else None,
                )
            )
    return out


@dataclass
class Change:
    """A unit's month over month [AR-2]: rank places gained (> 0 better) and score change; new if not ranked before."""

    new: bool
    rank: int | None = None
    score: float | None = None

    @property
    def places(self) -> int:
        return abs(self.rank or 0)

    @property
    def points(self) -> float:
        return abs(self.score or 0.0)


def month_over_month(tables: dict[str, list[UnitScore]], previous: dict[str, list[UnitScore]]) -> dict[int, Change]:
    """Per ranked unit of `tables`, its change against the `previous` month's tables."""
    before = {u.office_id: u for rows in previous.values() for u in rows if u.rank is not None}
    out = {}
    for rows in tables.values():
        for u in rows:
            if u.rank is None:
                continue
            p = before.get(u.office_id)
            if p is None:
                out[u.office_id] = Change(new=True)
            else:
                out[u.office_id] = Change(new=False, rank=p.rank - u.rank, score=round(u.score - p.score, 2))
    return out


# [AR-4] How many units of each group are named "优质服务热线单位" for the year.
HONOURS = {"central_districts": 1, "counties": 1, "central_townships": 2, "departments": 2}


@dataclass
class AnnualScore:
    group: str
    office_id: int
    name: str
    months: int  # months with a score
    score: float | None  # the mean of the months' scores [AR-2][AR-4]
    rank: int | None = None
    honour: bool = False
    public_statements: int = 0  # [AR-3] a public statement this year costs the eligibility for honours


def annual_results(year: int, *, months: int = 12, assess=assess_month) -> dict[str, list[AnnualScore]]:
    """The year's result of every ranked unit: the mean of its monthly scores, ranked per group, with the
    honours "优质服务热线单位" [AR-4]: the first of the central five and of the other counties, the top two
    departments and central townships, skipping a unit that earned a public statement this year [AR-3].

    `months`: how many months of the year count (the current year: those so far); `assess(year, month)`
    gives a month's tables (the pages pass the stored ones).
    """
    history = [assess(year, m) for m in range(1, months + 1)]
    out: dict[str, list[AnnualScore]] = {}
    for group in GROUPS:
        per_unit: dict[int, AnnualScore] = {}
        scores: dict[int, list[float]] = {}
        flags: dict[int, list[bool]] = {}
        for tables in history:
            seen = set()
            for u in tables[group]:
                seen.add(u.office_id)
                entry = per_unit.setdefault(u.office_id, AnnualScore(group, u.office_id, u.name, 0, None))
                if u.score is not None:
                    scores.setdefault(u.office_id, []).append(u.score)
                flags.setdefault(u.office_id, []).append(bool(u.talk))
                if u.talk:
                    run = flags[u.office_id]
                    if escalation(run, sum(run)) == "public_statement":
                        entry.public_statements += 1
            for office_id in per_unit.keys() - seen:
                flags.setdefault(office_id, []).append(False)
        rows = list(per_unit.values())
        for row in rows:
            got = scores.get(row.office_id, [])
            row.months = len(got)
            row.score = round(sum(got) / len(got), 2) if got else None
        rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.name))
        eligible = 0
        for i, row in enumerate([r for r in rows if r.score is not None], 1):
            row.rank = i
            if row.public_statements == 0 and eligible < HONOURS[group]:
                row.honour, eligible = True, eligible + 1
        out[group] = rows
    return out
