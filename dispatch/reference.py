"""The reference tables that decide where a ticket goes and how long it may take: categories,
routing rules, SLA policies, the knowledge base and the refusal rules. They are loaded from
loaders/reference/ and edited by the center in admin (models of the dispatch app, imported by
dispatch.models)."""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import Office

from .choices import DurationUnit, Kind, RefusalReason, Urgency


class Category(models.Model):
    """Two-level taxonomy: a top-level category (城市管理) and its leaves (下水道堵塞).

    A leaf carries its default routing: the department that answers for it, who
    leads (the place or the department), whether a community settles it itself
    and whether the township co-handles when a department leads.
    """

    class Lead(models.TextChoices):
        PLACE = "place", _("The place (township or community)")
        DEPARTMENT = "department", _("The department")

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    description = models.CharField(max_length=200, blank=True)
    default_department = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Office.Kind.DEPARTMENT},
        related_name="+",
        verbose_name=_("default department"),
    )
    lead = models.CharField(_("lead"), max_length=12, choices=Lead.choices, default=Lead.PLACE)
    community_can_settle = models.BooleanField(
        _("community can settle it"), default=False, help_text=_("Routed to the community workstation [ORG-5]")
    )
    township_co_handles = models.BooleanField(
        _("township co-handles"), default=False, help_text=_("When a department leads, the township co-handles [AS-2]")
    )
    major_livelihood = models.BooleanField(_("major livelihood matter"), default=False, help_text="[SV-3]")
    keywords = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        return f"{self.parent.name}/{self.name}" if self.parent_id else self.name


class RoutingRule(models.Model):
    """An override of the categories' default routing for a place and/or category.

    The most specific active rule wins: a leaf beats its top-level category,
    which beats "every category"; a longer area code beats a shorter one; then
    the higher priority.
    """

    class Lead(models.TextChoices):
        PLACE = "place", _("The place (township or community)")
        DEPARTMENT = "department", _("A department")
        OFFICE = "office", _("A named office")
        MANUAL = "manual", _("Manual dispatch queue")

    class PlaceLevel(models.TextChoices):
        DEFAULT = "", _("As the category says")
        TOWNSHIP = "township", _("Township service center")
        COMMUNITY = "community", _("Community workstation")

    name = models.CharField(max_length=100)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("A leaf or a top-level category; empty for every category"),
    )
    area_code = models.CharField(
        max_length=12, blank=True, help_text=_("County, township or community code; empty for everywhere")
    )
    central = models.BooleanField(
        null=True, blank=True, help_text=_("Only the central five districts (yes), only the others (no), or both")
    )
    lead = models.CharField(max_length=12, choices=Lead.choices)
    office = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department or office that leads (for 'a department' or 'a named office')"),
    )
    place_level = models.CharField(max_length=12, choices=PlaceLevel.choices, blank=True, default="")
    township_co_handles = models.BooleanField(
        null=True, blank=True, help_text=_("Override whether the township co-handles")
    )
    co_handlers = models.ManyToManyField(Office, blank=True, related_name="+", help_text=_("Extra co-handling offices"))
    priority = models.SmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=~Q(lead="office") | Q(office__isnull=False),
                name="routingrule_office_for_office_lead",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Deadlines for one urgency (and optionally one kind of request) [SLA-1][SLA-2]."""

    name = models.CharField(max_length=100)
    urgency = models.CharField(max_length=16, choices=Urgency.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, blank=True, help_text=_("Empty for every kind"))
    sign_for = models.PositiveIntegerField(_("sign for within"))
    sign_for_unit = models.CharField(max_length=16, choices=DurationUnit.choices, default=DurationUnit.HOURS)
    reply = models.PositiveIntegerField(_("first reply to the caller within"))
    reply_unit = models.CharField(max_length=16, choices=DurationUnit.choices, default=DurationUnit.HOURS)
    resolve = models.PositiveIntegerField(_("resolve and formally reply within"))
    resolve_unit = models.CharField(max_length=16, choices=DurationUnit.choices, default=DurationUnit.HOURS)
    return_window_hours = models.PositiveIntegerField(
        _("return window (hours)"), default=12, help_text=_("A unit may return a ticket within this time [AS-3]")
    )
    max_extension_days = models.PositiveSmallIntegerField(default=6, help_text="[SLA-3]")
    rework_working_days = models.PositiveSmallIntegerField(default=5, help_text="[SLA-4]")
    callback_working_days = models.PositiveSmallIntegerField(default=2, help_text="[CB-1]")
    source = models.CharField(max_length=100, blank=True, help_text=_("The rule the figures come from"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["urgency", "kind"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["urgency", "kind"], condition=Q(is_active=True), name="slapolicy_one_active_per_urgency_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """A day the center's working-day calendar decides itself [SLA-5]: a public holiday (放假) or a make-up
    working day (调休上班) of a year the packaged State Council calendar does not hold yet, or a local
    correction. An entry wins over the packaged calendar; a day with no entry in a year nobody published
    falls back to Monday–Friday (and `manage.py check` warns from December on that next year is missing)."""

    day = models.DateField(_("day"), unique=True)
    is_working = models.BooleanField(
        _("working day"), default=False, help_text=_("Ticked: a make-up working day; empty: a day off")
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("e.g. 元旦, 春节, 春节调休"))
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("The notice it comes from"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("working-day calendar entry")
        verbose_name_plural = _("working-day calendar")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class KnowledgeArticle(models.Model):
    """An answer the hotline gives to a common consultation [IN-5]."""

    question = models.CharField(max_length=200)
    answer = models.TextField()
    keywords = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text=_("Phrases that, found in a request, select this answer"),
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    uses = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge base")
        indexes = [GinIndex(fields=["question"], opclasses=["gin_trgm_ops"], name="kb_question_trgm")]

    def __str__(self) -> str:
        return self.question


class RefusalRule(models.Model):
    """Phrases that mark an intake as not acceptable, with the referral to give [IN-4]."""

    reason = models.CharField(max_length=24, choices=RefusalReason.choices)
    keywords = ArrayField(models.CharField(max_length=40), help_text=_("Any of these in the request refuses it"))
    referral = models.CharField(max_length=200, help_text=_("Where the caller is referred"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["reason", "id"]
        verbose_name = _("refusal rule")
        verbose_name_plural = _("refusal rules")

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {', '.join(self.keywords[:3])}"
