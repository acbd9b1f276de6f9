"""The periods a briefing covers: an ISO week (2026-W46), a month (2026-10) or a year (2026)
[AN-1], parsed from the URL, with their bounds in local time and the periods before them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
YEAR_RE = re.compile(r"^(\d{4})$")
KINDS = ("week", "month", "year")


class BadPeriod(ValueError):
    """The text is not an ISO week (2026-W46), a month (2026-10) or a year (2026) that exists."""


@dataclass(frozen=True)
class Period:
    """An ISO week, a calendar month or a calendar year, as local dates [start, end] (both included)."""

    kind: str  # "week", "month" or "year"
    year: int
    number: int = 0  # ISO week number or month number; 0 for a year

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        return f"{self.year}-W{self.number:02d}" if self.kind == "week" else f"{self.year}-{self.number:02d}"

    @property
    def start(self) -> dt.date:
        if self.kind == "week":
            return dt.date.fromisocalendar(self.year, self.number, 1)
        return dt.date(self.year, self.number or 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period (included)."""
        if self.kind == "week":
            return self.start + dt.timedelta(days=6)
        if self.kind == "year":
            return dt.date(self.year, 12, 31)
        return self.next().start - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[local midnight of the first day, local midnight after the last day)."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time(), tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=tz),
        )

    def previous(self) -> Period:
        if self.kind == "week":
            y, w, _d = (self.start - dt.timedelta(days=7)).isocalendar()
            return Period("week", y, w)
        if self.kind == "year":
            return Period("year", self.year - 1)
        return Period("month", self.year - (self.number == 1), (self.number - 2) % 12 + 1)

    def next(self) -> Period:
        if self.kind == "week":
            y, w, _d = (self.start + dt.timedelta(days=7)).isocalendar()
            return Period("week", y, w)
        if self.kind == "year":
            return Period("year", self.year + 1)
        return Period("month", self.year + (self.number == 12), self.number % 12 + 1)

    @property
    def label(self) -> str:
        if self.kind == "week":
            return _("Week %(week)s of %(year)s (%(start)s – %(end)s)") % {
                "week": self.number,
                "year": self.year,
                "start": self.start.strftime("%m-%d"),
                "end": self.end.strftime("%m-%d"),
            }
        if self.kind == "year":
            return _("year %(year)s") % {"year": self.year}
        return _("%(year)s-%(month)02d") % {"year": self.year, "month": self.number}

    @property
    def short_label(self) -> str:
        """W46, 10月 or 2026年 style, for chart axes and table heads."""
        if self.kind == "year":
            return _("year %(year)s") % {"year": self.year}
        return f"W{self.number:02d}" if self.kind == "week" else _("month %(month)s") % {"month": self.number}

    def months(self) -> list[Period]:
        """The year's twelve months, January first (a week or a month: itself)."""
        if self.kind != "year":
            return [self]
        return [Period("month", self.year, m) for m in range(1, 13)]


def parse_period(text: str) -> Period:
    """2026-W46 → the ISO week, 2026-10 → the month, 2026 → the year; BadPeriod with a message otherwise."""
    text = (text or "").strip()
    if m := WEEK_RE.match(text):
        year, week = int(m[1]), int(m[2])
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise BadPeriod(_("%(year)s has no ISO week %(week)s.") % {"year": year, "week": week}) from None
        if not 2000 <= year <= 2100:
            raise BadPeriod(_("Year %(year)s is out of range.") % {"year": year})
        return Period("week", year, week)
    if m := MONTH_RE.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise BadPeriod(_("There is no month %(month)s.") % {"month": month})
        if not 2000 <= year <= 2100:
            raise BadPeriod(_("Year %(year)s is out of range.") % {"year": year})
        return Period("month", year, month)
    if m := YEAR_RE.match(text):
        year = int(m[1])
        if not 2000 <= year <= 2100:
            raise BadPeriod(_("Year %(year)s is out of range.") % {"year": year})
        return Period("year", year)
    raise BadPeriod(
        _("“%(text)s” is not a period: use an ISO week (2026-W46), a month (2026-10) or a year (2026).")
        % {"text": text[:40]}
    )


def current_period(kind: str, *, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    if kind == "week":
        y, w, _d = today.isocalendar()
        return Period("week", y, w)
    if kind == "year":
        return Period("year", today.year)
    return Period("month", today.year, today.month)


def recent_periods(kind: str, count: int, *, today: dt.date | None = None) -> list[Period]:
    """The current period and the count-1 before it, newest first."""
    p = current_period(kind, today=today)
    out = []
    for _i in range(count):
        out.append(p)
        p = p.previous()
    return out
