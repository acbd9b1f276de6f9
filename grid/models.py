"""The four levels of the grid (city → county → township → community) and the
organization that answers for them [ORG-1..7].

Boundaries change, so every area row belongs to a BoundaryGeneration with
valid-from/valid-to: a re-import closes the old rows instead of deleting them,
and records that point at an old row (a ticket's area at intake) stay valid.
Offices and users refer to areas by their stable GB/T 2260 code.
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    COMMUNITY = "community", _("Community / village")


LEVEL_ORDER = [Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY]


def child_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def parent_level(level: str) -> str | None:
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i - 1] if i > 0 else None


class GenerationQuerySet(models.QuerySet):
    def current(self) -> "GenerationQuerySet":
        """The generations in force (one per level)."""
        return self.filter(valid_to__isnull=True)


class BoundaryGeneration(models.Model):
    """One import of one level's boundaries; closing it retires its areas."""

    level = models.CharField(max_length=16, choices=Level.choices)
    source = models.CharField(max_length=255, help_text=_("File the boundaries came from"))
    checksum = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("boundary generation")
        verbose_name_plural = _("boundary generations")

    def __str__(self) -> str:
        return f"{self.get_level_display()} #{self.pk} ({self.source})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class AreaQuerySet(models.QuerySet):
    """The shared vocabulary of boundaries (as MapIt's Generation.objects.current() and
    Area.objects.by_location): "current" is said here once, not as a filter in every module."""

    def current(self) -> "AreaQuerySet":
        """The areas of the open generations: the boundaries in force today."""
        return self.filter(valid_to__isnull=True)

    def at(self, point) -> "AreaQuerySet":
        """The current areas containing the point, city first, community last (one indexed query)."""
        level_rank = models.Case(
            *(models.When(level=level, then=models.Value(i)) for i, level in enumerate(LEVEL_ORDER)),
            output_field=models.IntegerField(),
        )
        return self.current().filter(geom__intersects=point).order_by(level_rank, "code")


class Area(models.Model):
    generation = models.ForeignKey(BoundaryGeneration, on_delete=models.PROTECT, related_name="areas")
    level = models.CharField(max_length=16, choices=Level.choices, db_index=True)
    code = models.CharField(max_length=12, help_text=_("GB/T 2260-style division code"))
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=50, blank=True)
    aliases = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_zone = models.BooleanField(default=False, help_text=_("Functional zone with county-level powers"))
    is_central = models.BooleanField(default=False, help_text=_("In the central five districts [ORG-1]"))
    urban = models.BooleanField(default=False)
    synthetic_geometry = models.BooleanField(default=False)
    geom = models.MultiPolygonField(srid=4326)
    label_point = models.PointField(srid=4326, null=True, blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="area_one_current_row_per_code"
            ),
            models.UniqueConstraint(fields=["generation", "code"], name="area_code_unique_in_generation"),
        ]
        indexes = [
            models.Index(fields=["code"]),
            GinIndex(fields=["aliases"], name="area_aliases_gin"),
        ]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class AreaPiece(models.Model):
    """A small piece (ST_Subdivide) of a current area's polygon: point lookups
    test a few dozen vertices instead of a whole township outline."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="pieces")
    level = models.CharField(max_length=16, choices=Level.choices)
    depth = models.PositiveSmallIntegerField(help_text="0 city … 3 community")
    geom = models.PolygonField(srid=4326)

    class Meta:
        indexes = [models.Index(fields=["depth"])]


class Office(models.Model):
    """A unit of the hotline organization and the area it answers for."""

    class Kind(models.TextChoices):
        CITY_CENTER = "city_center", _("City command center")
        SUB_CENTER = "sub_center", _("Sub-center")
        COUNTY_DISPATCH = "county_dispatch", _("County dispatch center")
        TOWNSHIP_CENTER = "township_center", _("Township service center")
        WORKSTATION = "workstation", _("Community workstation")
        DEPARTMENT = "department", _("Department")

    code = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=100)
    area_code = models.CharField(max_length=12, db_index=True, help_text=_("Code of the area it answers for"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subordinates",
        help_text=_("The office it reports to"),
    )
    remit = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text=_("Top-level ticket categories a department answers for"),
    )
    phone = models.CharField(
        max_length=40, blank=True, help_text=_("The fixed number of its three-fixed contact [CT-3]")
    )
    # [CT-3] "three fixed" (三固定): the fixed number above, a fixed person and fixed hours
    contact_person = models.CharField(_("fixed person"), max_length=60, blank=True)
    contact_hours_from = models.TimeField(_("fixed hours from"), null=True, blank=True)
    contact_hours_to = models.TimeField(_("fixed hours to"), null=True, blank=True)
    contact_weekdays_only = models.BooleanField(_("fixed hours on weekdays only"), default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["area_code", "kind"])]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name

    def in_contact_hours(self, at) -> bool | None:
        """[CT-3] Whether a local time falls in the unit's fixed hours (None: no hours kept)."""
        if self.contact_hours_from is None or self.contact_hours_to is None:
            return None
        if self.contact_weekdays_only and at.weekday() >= 5:
            return False
        return self.contact_hours_from <= at.time() < self.contact_hours_to

    @property
    def area(self) -> "Area | None":
        return Area.objects.current().filter(code=self.area_code).first()


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    WORKSTATION_HEAD = "workstation_head", _("Workstation head")
    TOWNSHIP_HANDLER = "township_handler", _("Township service-center handler")
    COUNTY_DISPATCHER = "county_dispatcher", _("County / sub-center dispatcher")
    CITY_DISPATCHER = "city_dispatcher", _("City dispatcher")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    CENTER_VIEWER = "center_viewer", _("Command-center viewer")
    CALL_TAKER = "call_taker", _("Call-taker")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    """Every user belongs to one office; what they see follows from it."""

    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=24, choices=Role.choices, default=Role.CENTER_VIEWER)
    display_name = models.CharField(max_length=60, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class GridState(models.Model):
    """A single row whose version changes with every change of the boundaries, so
    that in-process lookup indexes know when to rebuild (see grid.index)."""

    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="gridstate_single_row")]
