"""The stored monthly assessment [AR-1][AR-2][AR-3]: pages read rows, the supervisor keeps them fresh.

A month is computed by assessment.metrics.assess_month (one SQL pass) and its
tables are written as AssessmentRow rows under one AssessmentMonth, which
records when, with which scheme and up to which ticket-event and assignment
ids it was computed. Then:

- `refresh_assessment()` (each supervisor pass) recomputes every stored month
  that a newer event or lead assignment touches (an event touches the months
  its ticket's lead assignments were made in), every month marked stale by a
  scheme change, and the current month whenever anything arrived or it is more
  than an hour old;
- `month_tables()` (the pages) reads a month, computing it on demand when it was
  never computed or is stale;
- `scheme_changed()` (admin) marks a year's months stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from assessment.metrics import GROUPS, Scheme, UnitScore, assess_month, previous_months, scheme_for_year
from assessment.models import AssessmentMonth, AssessmentRow
from core.dbrouter import read_connection

LOCK_NAMESPACE = 12345_07  # pg advisory locks: (namespace, yyyymm) per month, (namespace, 0) for a refresh
CURRENT_MONTH_MAX_AGE = dt.timedelta(hours=1)  # "due" moves with the clock; a late-committed event is caught too


@dataclass
class StoredMonth:
    """A month's four tables as stored, with when and how they were computed."""

    year: int
    month: int
    computed_at: dt.datetime
    scheme: Scheme
    tables: dict[str, list[UnitScore]]

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def unit(self, office_id: int) -> UnitScore | None:
        return next((u for rows in self.tables.values() for u in rows if u.office_id == office_id), None)


def _first_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


def _watermarks() -> tuple[int, int]:
    with read_connection().cursor() as cur:
        cur.execute(
            "SELECT coalesce((SELECT max(id) FROM dispatch_ticketevent), 0),"
            " coalesce((SELECT max(id) FROM dispatch_assignment), 0)"
        )
        return tuple(cur.fetchone())


def _lock(key: int, *, wait: bool = True) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {'pg_advisory_xact_lock' if wait else 'pg_try_advisory_xact_lock'}(%s, %s)",
            [LOCK_NAMESPACE, key],
        )
        return wait or bool(cur.fetchone()[0])


def store_month(year: int, month: int, *, now: dt.datetime | None = None) -> AssessmentMonth:
    """Compute the month (assess_month, with its year's scheme) and replace its stored rows, atomically.

    Writers of the same month queue on an advisory lock, so two supervisors and a
    page computing it at once leave one consistent set of rows.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock(year * 100 + month)
        events, assignments = _watermarks()  # read before computing: anything newer is seen next time
        scheme = scheme_for_year(year)
        tables = assess_month(year, month, now=now, scheme=scheme)
        header, _created = AssessmentMonth.objects.update_or_create(
            month=_first_day(year, month),
            defaults={
                "computed_at": now,
                "scheme_id": scheme.scheme_id,
                "scheme_used": scheme.as_json(),
                "event_watermark": events,
                "assignment_watermark": assignments,
                "stale": False,
            },
        )
        AssessmentRow.objects.filter(month=header).delete()
        AssessmentRow.objects.bulk_create(
            AssessmentRow(
                month=header,
                office_id=u.office_id,
                group=group,
                position=i,
                name=u.name,
                counts=u.counts,
                rates=u.rates,
                penalties=u.penalties,
                score=u.score,
                rank=u.rank,
                talk=u.talk,
            )
            for group, rows in tables.items()
            for i, u in enumerate(rows)
        )
    return header


def _unit(row: AssessmentRow) -> UnitScore:
    return UnitScore(
        row.group, row.office_id, row.name, row.counts, row.rates, row.penalties, row.score, row.rank, row.talk
    )


def month_tables(year: int, month: int) -> StoredMonth:
    """The month's stored tables [AR-2]; computed (and stored) on demand if never computed or stale."""
    return months_tables([(year, month)])[(year, month)]


def _headers(months: list[tuple[int, int]]) -> dict[dt.date, AssessmentMonth]:
    """The months' headers by first day, computing the months never computed or stale first."""
    wanted = {_first_day(y, m): (y, m) for y, m in months}
    headers = {h.month: h for h in AssessmentMonth.objects.filter(month__in=wanted)}
    for day, (y, m) in wanted.items():
        if day not in headers or headers[day].stale:
            headers[day] = store_month(y, m)
    return headers


def months_tables(months: list[tuple[int, int]]) -> dict[tuple[int, int], StoredMonth]:
    """Several months' stored tables in one read, computing those never computed or stale first."""
    headers = _headers(months)
    out = {
        (day.year, day.month): StoredMonth(
            day.year, day.month, h.computed_at, Scheme.from_json(h.scheme_used), {g: [] for g in GROUPS}
        )
        for day, h in headers.items()
    }
    by_header = {h.id: (day.year, day.month) for day, h in headers.items()}
    for row in AssessmentRow.objects.filter(month_id__in=by_header).order_by("month_id", "group", "position"):
        out[by_header[row.month_id]].tables[row.group].append(_unit(row))
    return out


def unit_trend(office_id: int, year: int, month: int, n: int = 6) -> list[tuple[str, float | None, int | None]]:
    """(yyyy-mm, score, rank) of one unit over the n months ending with (year, month), oldest first."""
    months = previous_months(year, month, n)
    headers = _headers(months)
    found = {
        month_id: (score, rank)
        for month_id, score, rank in AssessmentRow.objects.filter(
            office_id=office_id, month_id__in=[h.id for h in headers.values()]
        ).values_list("month_id", "score", "rank")
    }
    out = []
    for y, m in months:
        score, rank = found.get(headers[_first_day(y, m)].id, (None, None))
        out.append((f"{y}-{m:02d}", score, rank))
    return out


def scheme_changed(*, year: int) -> int:
    """A year's scheme was saved or deleted in admin: its stored months are recomputed before they are read again."""
    return AssessmentMonth.objects.filter(month__year=year).update(stale=True)


TOUCHED_SQL = """
WITH ev AS (
  SELECT ticket_id, max(id) AS eid FROM dispatch_ticketevent
  WHERE id > %(events_after)s AND id <= %(events_upto)s GROUP BY ticket_id
)
SELECT month, max(eid), max(aid) FROM (
  SELECT date_trunc('month', a.assigned_at AT TIME ZONE %(tz)s)::date AS month, ev.eid, NULL::bigint AS aid
  FROM ev JOIN dispatch_assignment a ON a.ticket_id = ev.ticket_id AND a.role = 'lead'
  UNION ALL
  SELECT date_trunc('month', a.assigned_at AT TIME ZONE %(tz)s)::date, NULL, a.id
  FROM dispatch_assignment a
  WHERE a.id > %(assignments_after)s AND a.id <= %(assignments_upto)s AND a.role = 'lead'
) touched
GROUP BY month
"""


@dataclass
class RefreshReport:
    recomputed: list[str]
    checked: int
    skipped: bool = False  # another process was refreshing

    def __str__(self) -> str:
        if self.skipped:
            return "another refresh is running"
        months = ", ".join(self.recomputed) or "none"
        return f"{self.checked} stored months checked, recomputed {months}"


def refresh_assessment(*, now: dt.datetime | None = None) -> RefreshReport:
    """Recompute the stored months that changed since they were computed [AR-1] (one supervisor step).

    A month is recomputed when a ticket event or lead assignment newer than its
    watermarks touches it, when its year's scheme changed, and, for the current
    month, whenever anything arrived at all, when it was never computed, or when
    it is older than an hour. The other stored months only have their watermarks
    moved up. Safe to run in several processes: one refreshes, the others skip.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    current = _first_day(local.year, local.month)
    with transaction.atomic():
        if not _lock(0, wait=False):
            return RefreshReport([], 0, skipped=True)
        events, assignments = _watermarks()
        headers = list(AssessmentMonth.objects.all())
        due: set[dt.date] = {h.month for h in headers if h.stale}
        if headers:
            with connection.cursor() as cur:
                cur.execute(
                    TOUCHED_SQL,
                    {
                        "events_after": min(h.event_watermark for h in headers),
                        "events_upto": events,
                        "assignments_after": min(h.assignment_watermark for h in headers),
                        "assignments_upto": assignments,
                        "tz": settings.TIME_ZONE,
                    },
                )
                touched = {m: (eid or 0, aid or 0) for m, eid, aid in cur.fetchall()}
            for h in headers:
                eid, aid = touched.get(h.month, (0, 0))
                if eid > h.event_watermark or aid > h.assignment_watermark:
                    due.add(h.month)
        head = next((h for h in headers if h.month == current), None)
        if (
            head is None
            or events > head.event_watermark
            or assignments > head.assignment_watermark
            or head.computed_at < now - CURRENT_MONTH_MAX_AGE
        ):
            due.add(current)
        for day in sorted(due):
            store_month(day.year, day.month, now=now)
        AssessmentMonth.objects.exclude(month__in=due).filter(event_watermark__lt=events).update(event_watermark=events)
        AssessmentMonth.objects.exclude(month__in=due).filter(assignment_watermark__lt=assignments).update(
            assignment_watermark=assignments
        )
    return RefreshReport([d.strftime("%Y-%m") for d in sorted(due)], len(headers))
