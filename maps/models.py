"""What the maps keep of their own: the hotspot rules the center tunes, the
register of hotspots found (so that a new or growing one can be told apart
from one already seen, and a supervision case opened on it), the watermark of
the overdue sweep, and the notices the supervisor leaves for the web processes
to push to the walls."""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HotspotRule(models.Model):
    """DBSCAN parameters of one category (or of every category without its own rule) [AN-1]."""

    category_code = models.CharField(
        _("category code"),
        max_length=16,
        blank=True,
        help_text=_("A leaf or top-level category code; empty for the default of every category"),
    )
    radius_m = models.PositiveIntegerField(_("radius (m)"), default=150)
    min_tickets = models.PositiveSmallIntegerField(_("at least this many tickets"), default=5)
    window_days = models.PositiveSmallIntegerField(_("within this many days"), default=7)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["category_code"]
        verbose_name = _("hotspot rule")
        verbose_name_plural = _("hotspot rules")
        constraints = [
            models.UniqueConstraint(fields=["category_code"], name="hotspotrule_one_per_category"),
            models.CheckConstraint(condition=Q(radius_m__gte=10, radius_m__lte=5000), name="hotspotrule_radius_range"),
            models.CheckConstraint(condition=Q(min_tickets__gte=2), name="hotspotrule_min_tickets_2"),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=90), name="hotspotrule_window_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_code or '*'}: ≥{self.min_tickets} / {self.radius_m} m / {self.window_days} d"


class Hotspot(models.Model):
    """A hotspot as the register knows it: formed once, updated while it grows, cooled when it dissolves."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        GROWING = "growing", _("Growing")
        STEADY = "steady", _("Steady")
        COOLED = "cooled", _("Cooled down")

    category = models.ForeignKey("dispatch.Category", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW, db_index=True)
    label = models.CharField(max_length=200)
    place_name = models.CharField(max_length=80, blank=True, help_text=_("The leading road or place"))
    county_code = models.CharField(max_length=12, blank=True)
    township_code = models.CharField(max_length=12, blank=True, db_index=True)
    community_code = models.CharField(max_length=12, blank=True)
    hull = models.PolygonField(srid=4326)
    centroid = models.PointField(srid=4326)
    ticket_count = models.PositiveIntegerField()
    peak_count = models.PositiveIntegerField()
    ticket_ids = ArrayField(models.BigIntegerField(), default=list)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    window_days = models.PositiveSmallIntegerField()
    detected_at = models.DateTimeField()
    grew_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    cooled_at = models.DateTimeField(null=True, blank=True)
    case_opened_at = models.DateTimeField(_("supervision case opened"), null=True, blank=True)
    case_opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_note = models.TextField(_("supervision note"), blank=True)

    class Meta:
        ordering = ["-last_at", "-id"]
        verbose_name = _("hotspot")
        verbose_name_plural = _("hotspots")
        indexes = [models.Index(fields=["category", "state"], name="hotspot_category_state")]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.state != self.State.COOLED


class LiveWatermark(models.Model):
    """How far a periodic sweep of the supervisor has got (one row per sweep), claimed under a
    row lock so that several supervisors never record the same change twice."""

    name = models.CharField(max_length=40, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.until:%Y-%m-%d %H:%M:%S}"


class LiveNotice(models.Model):
    """A change the supervisor found for the walls: a ticket that has just become overdue, a
    hotspot that formed or grew. The supervisor records it (one scheduler); each web process's
    pusher claims the unpushed ones under a row lock, so each is pushed once, by one process, to
    the sockets connected there (maps.consumers)."""

    class Kind(models.TextChoices):
        TICKET_OVERDUE = "ticket.overdue", _("Ticket became overdue")
        HOTSPOT_FORMED = "hotspot.formed", _("Hotspot formed")
        HOTSPOT_GREW = "hotspot.grew", _("Hotspot grew")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    object_id = models.BigIntegerField(help_text=_("The ticket's or the hotspot's id"))
    created_at = models.DateTimeField()
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=Q(pushed_at__isnull=True), name="livenotice_unpushed")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
