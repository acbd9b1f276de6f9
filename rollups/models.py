"""Pre-aggregated ticket counts: one cell per local day of receipt × county/township × leaf
category × channel × state (open: not answered yet, done, refused), with how many are urgent and
the sum of their positions (so that a cell's tickets have a mean position for the map's bins);
and the same per month, for periods of months.

Why not the community: there are ~2,800 of them and ~60 leaf categories, so a day's cells per
community were about as many as the day's tickets — no rollup at all. Per township (148) a
day's ~5,500 tickets (10M over 5 years) fall into far fewer cells; views of one community read
the tickets (a few hundred a month).

How the cells stay exact: statement-level triggers on dispatch_ticket (migration 0001) append a
-1 row for every ticket's old cell and a +1 row for its new one to `Delta`, in the writing
transaction, whenever a ticket is inserted, deleted or changes any of the key columns, its
urgency or its point. The supervisor's job (rollups.services.fold) folds the deltas into the
cells set-based. Readers (rollups.selectors) read cells ∪ the deltas not folded yet, so a figure
is exact at any moment, whatever wrote the ticket (ORM, bulk update, COPY, raw SQL).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

KEY_FIELDS = ("day", "county_code", "township_code", "category_id", "channel", "state")


class State:
    """The coarse state a cell counts (dispatch.analytics.UNANSWERED_STATUSES are "open")."""

    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"


class _Counts(models.Model):
    day = models.DateField(help_text=_("Local day the tickets were received"))
    county_code = models.CharField(max_length=12)
    township_code = models.CharField(max_length=12)
    category_id = models.BigIntegerField(help_text=_("Leaf category id, 0 for none (not a foreign key: no lock)"))
    channel = models.CharField(max_length=24)
    state = models.CharField(max_length=8, help_text=_("open, done or refused"))
    tickets = models.IntegerField()
    urgent = models.IntegerField(help_text=_("Urgent or extra-urgent"))
    located = models.IntegerField(help_text=_("With a point"))
    sum_lon = models.FloatField()
    sum_lat = models.FloatField()

    class Meta:
        abstract = True


class DailyCount(_Counts):
    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [models.UniqueConstraint(fields=list(KEY_FIELDS), name="dailycount_cell")]
        indexes = [
            models.Index(fields=["township_code", "day"], name="dailycount_township"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.township_code} {self.category_id} {self.channel} {self.state}: {self.tickets}"


class MonthlyCount(_Counts):
    """The same cells per month (day = the month's first day), for periods of whole months."""

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        constraints = [models.UniqueConstraint(fields=list(KEY_FIELDS), name="monthlycount_cell")]
        indexes = [models.Index(fields=["township_code", "day"], name="monthlycount_township")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} {self.township_code} {self.category_id} {self.channel} {self.state}: {self.tickets}"


class Delta(_Counts):
    """A change of the counts not folded into DailyCount yet (+1/-1 rows, grouped per statement)."""

    class Meta:
        verbose_name = _("count delta")
        verbose_name_plural = _("count deltas")


class _TownshipCounts(models.Model):
    """The same counts without category and channel: a township's day (or month) per state, for
    the map's bins when no category is asked for (~300 cells a day city-wide instead of ~4,000)."""

    day = models.DateField()
    county_code = models.CharField(max_length=12)
    township_code = models.CharField(max_length=12)
    state = models.CharField(max_length=8)
    tickets = models.IntegerField()
    urgent = models.IntegerField()
    located = models.IntegerField()
    sum_lon = models.FloatField()
    sum_lat = models.FloatField()

    class Meta:
        abstract = True


TOWNSHIP_KEY = ("day", "county_code", "township_code", "state")


class TownshipDay(_TownshipCounts):
    class Meta:
        constraints = [models.UniqueConstraint(fields=list(TOWNSHIP_KEY), name="townshipday_cell")]

    def __str__(self) -> str:
        return f"{self.day} {self.township_code} {self.state}: {self.tickets}"


class TownshipMonth(_TownshipCounts):
    class Meta:
        constraints = [models.UniqueConstraint(fields=list(TOWNSHIP_KEY), name="townshipmonth_cell")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} {self.township_code} {self.state}: {self.tickets}"


# -- the pre-binned grid: townships and streets on the map -------------------------------------------

# The grid's cell: 64 px at zoom 14 in Web Mercator metres (dispatch.analytics.cell_size_m(14), ~611 m).
# Every bin of a view at zoom ≤ 14 is this cell doubled a whole number of times, on the same origin, so a
# bin is exactly a block of whole cells and its count and mean position add up from the cells.
GRID_ZOOM = 14
GRID_KEY = ("day", "county_code", "township_code", "cx", "cy", "state")


class _GridCounts(models.Model):
    """The located tickets of one grid cell per local day of receipt (or month) × county/township ×
    state, with how many are urgent and the sum of their positions (the mean of a bin)."""

    day = models.DateField()
    county_code = models.CharField(max_length=12)
    township_code = models.CharField(max_length=12)
    cx = models.IntegerField(help_text=_("floor(Web Mercator x / cell)"))
    cy = models.IntegerField(help_text=_("floor(Web Mercator y / cell)"))
    state = models.CharField(max_length=8)
    tickets = models.IntegerField()
    urgent = models.IntegerField()
    sum_lon = models.FloatField()
    sum_lat = models.FloatField()

    class Meta:
        abstract = True


class GridDay(_GridCounts):
    class Meta:
        constraints = [models.UniqueConstraint(fields=list(GRID_KEY), name="gridday_cell")]
        indexes = [models.Index(fields=["cx", "cy", "day"], name="gridday_place")]

    def __str__(self) -> str:
        return f"{self.day} ({self.cx}, {self.cy}) {self.state}: {self.tickets}"


class GridMonth(_GridCounts):
    class Meta:
        constraints = [models.UniqueConstraint(fields=list(GRID_KEY), name="gridmonth_cell")]
        indexes = [models.Index(fields=["cx", "cy", "day"], name="gridmonth_place")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} ({self.cx}, {self.cy}) {self.state}: {self.tickets}"


class GridDelta(_GridCounts):
    """A change of the grid's counts not folded yet (+1/-1 rows, grouped per statement)."""

    class Meta:
        indexes = [models.Index(fields=["cx", "cy", "day"], name="griddelta_place")]
