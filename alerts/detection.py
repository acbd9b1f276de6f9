"""Spike detection: a category's count in a township today far above its own baseline [AN-1].

A spike is a public-opinion flare: the hotline owes a fast report within 2 hours,
so each spike carries `report_due` = detection time + 2 h.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

FLARE_REPORT_HOURS = 2

SQL = """
WITH days AS (
  SELECT t.category_id, t.township_code, (t.received_at AT TIME ZONE %(tz)s)::date AS day, count(*) AS n
  FROM dispatch_ticket t
  WHERE t.received_at >= %(since)s AND t.received_at < %(until)s
    AND t.category_id IS NOT NULL AND t.township_code <> '' AND t.status <> 'refused'
  GROUP BY 1, 2, 3
), today AS (
  SELECT category_id, township_code, n FROM days WHERE day = %(day)s
), base AS (
  SELECT d.category_id, d.township_code,
         coalesce(sum(d.n), 0)::float / %(baseline_days)s AS mean,
         sqrt(greatest(coalesce(sum(d.n * d.n), 0)::float / %(baseline_days)s
                       - power(coalesce(sum(d.n), 0)::float / %(baseline_days)s, 2), 0)) AS sd
  FROM days d WHERE d.day < %(day)s
  GROUP BY 1, 2
)
SELECT t.category_id, t.township_code, t.n, coalesce(b.mean, 0), coalesce(b.sd, 0)
FROM today t LEFT JOIN base b USING (category_id, township_code)
WHERE t.n >= %(min_count)s AND t.n >= coalesce(b.mean, 0) + %(sigmas)s * coalesce(b.sd, 0)
  AND t.n >= %(ratio)s * greatest(coalesce(b.mean, 0), 1)
ORDER BY t.n DESC
"""


@dataclass(frozen=True)
class Spike:
    category_id: int
    township_code: str
    count: int
    baseline_mean: float
    baseline_sd: float
    detected_at: dt.datetime
    report_due: dt.datetime


def detect_spikes(
    day: dt.date,
    *,
    baseline_days: int = 28,
    min_count: int = 5,
    sigmas: float = 3.0,
    ratio: float = 3.0,
    now: dt.datetime | None = None,
) -> list[Spike]:
    """Category × township pairs whose count on `day` is at least `min_count`, `sigmas` standard
    deviations above and `ratio` times the daily mean of the `baseline_days` before (missing days count as 0)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(day - dt.timedelta(days=baseline_days), dt.time(), tzinfo=tz)
    until = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    params = {
        "tz": str(tz),
        "since": since,
        "until": until,
        "day": day,
        "baseline_days": baseline_days,
        "min_count": min_count,
        "sigmas": sigmas,
        "ratio": ratio,
    }
    now = now or timezone.now()
    with connection.cursor() as cur:
        cur.execute(SQL, params)
        return [
            Spike(c, code, n, round(mean, 2), round(sd, 2), now, now + dt.timedelta(hours=FLARE_REPORT_HOURS))
            for c, code, n, mean, sd in cur.fetchall()
        ]
