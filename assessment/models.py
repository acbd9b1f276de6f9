"""The assessment scheme of a year and the stored months with their ranked rows [AR-1][AR-2]."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import Office


def _points(verbose_name, default, help_text):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=Decimal(str(default)),
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


class AssessmentScheme(models.Model):
    """One year's score weights and penalty caps [AR-2] (assessment.metrics.scheme_for_year reads it).

    A year without a scheme uses the defaults, assessment.metrics.DEFAULT_SCHEME,
    which are the field defaults below. The rate weights add up to 100 (checked in clean()).
    """

    RATE_FIELDS = {
        "sign_on_time_rate": "sign_on_time_rate_weight",
        "contact_rate": "contact_rate_weight",
        "reply_on_time_rate": "reply_on_time_rate_weight",
        "closure_rate": "closure_rate_weight",
        "reply_quality": "reply_quality_weight",
        "satisfaction_rate": "satisfaction_rate_weight",
    }
    PENALTY_FIELDS = {
        "overdue": ("overdue_per_point", "overdue_cap"),
        "rework": ("rework_per_point", "rework_cap"),
        "refused_returns": ("refused_returns_per_point", "refused_returns_cap"),
        "repeats": ("repeats_per_point", "repeats_cap"),
    }

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text=_("The calendar year whose months are scored with these figures."),
    )
    sign_on_time_rate_weight = _points(
        _("weight: sign-for on time"), 10, _("Points a unit earns when every ticket is signed for on time.")
    )
    contact_rate_weight = _points(
        _("weight: contact with the citizen"), 10, _("Points earned when the caller was contacted on every ticket.")
    )
    reply_on_time_rate_weight = _points(
        _("weight: reply on time"), 20, _("Points earned when every reply that was due came on time.")
    )
    closure_rate_weight = _points(_("weight: closure rate"), 15, _("Points earned when every ticket was closed."))
    reply_quality_weight = _points(
        _("weight: reply quality"), 10, _("Points earned when every first reply was accepted at its first review.")
    )
    satisfaction_rate_weight = _points(
        _("weight: satisfaction rate"),
        35,
        _("Points earned when every caller called back was satisfied or basically satisfied."),
    )
    overdue_per_point = _points(
        _("overdue: points per percentage point"),
        0.5,
        _("Points taken off per percentage point of handled tickets overdue."),
    )
    overdue_cap = _points(_("overdue: cap"), 10, _("At most this many points are taken off for overdue tickets."))
    rework_per_point = _points(
        _("rework: points per percentage point"),
        0.5,
        _("Points taken off per percentage point of handled tickets sent for rework."),
    )
    rework_cap = _points(_("rework: cap"), 5, _("At most this many points are taken off for rework."))
    refused_returns_per_point = _points(
        _("refused returns: points per percentage point"),
        1,
        _("Points taken off per percentage point of handled tickets whose return the center refused."),
    )
    refused_returns_cap = _points(
        _("refused returns: cap"), 5, _("At most this many points are taken off for refused returns.")
    )
    repeats_per_point = _points(
        _("repeat complaints: points per percentage point"),
        0.5,
        _("Points taken off per percentage point of handled tickets that are repeat complaints."),
    )
    repeats_cap = _points(
        _("repeat complaints: cap"), 5, _("At most this many points are taken off for repeat complaints.")
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("Where the figures come from, e.g. the year's notice.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dispatch_assessmentscheme"
        ordering = ["-year"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    sign_on_time_rate_weight__gte=0,
                    contact_rate_weight__gte=0,
                    reply_on_time_rate_weight__gte=0,
                    closure_rate_weight__gte=0,
                    reply_quality_weight__gte=0,
                    satisfaction_rate_weight__gte=0,
                    overdue_per_point__gte=0,
                    overdue_cap__gte=0,
                    rework_per_point__gte=0,
                    rework_cap__gte=0,
                    refused_returns_per_point__gte=0,
                    refused_returns_cap__gte=0,
                    repeats_per_point__gte=0,
                    repeats_cap__gte=0,
                ),
                name="assessment_scheme_not_negative",
            )
        ]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        weights = [getattr(self, f) for f in self.RATE_FIELDS.values()]
        if any(w is None for w in weights):
            return  # the field itself reports what is missing
        total = sum(weights)
        if total != 100:
            raise ValidationError(
                _("The six rate weights add up to %(total)s; they must add up to 100."),
                code="weights_total",
                params={"total": f"{total:g}"},
            )


class AssessmentMonth(models.Model):
    """One month's stored assessment [AR-2]: when and with which scheme its rows were computed.

    The watermarks are the newest ticket-event and assignment ids when it was
    computed: the supervisor recomputes the month once newer ones touch it
    (assessment.store.refresh_assessment).
    """

    month = models.DateField(unique=True, help_text=_("First day of the month"))
    computed_at = models.DateTimeField()
    scheme = models.ForeignKey(AssessmentScheme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scheme_used = models.JSONField(default=dict, help_text=_("The weights and caps the rows were scored with"))
    event_watermark = models.BigIntegerField(default=0)
    assignment_watermark = models.BigIntegerField(default=0)
    stale = models.BooleanField(default=False, help_text=_("The year's scheme changed since it was computed"))

    class Meta:
        db_table = "dispatch_assessmentmonth"
        ordering = ["-month"]
        verbose_name = _("stored assessment month")
        verbose_name_plural = _("stored assessment months")

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class AssessmentRow(models.Model):
    """One ranked unit's figures in one stored month [AR-1][AR-2][AR-3]."""

    month = models.ForeignKey(AssessmentMonth, on_delete=models.CASCADE, related_name="rows")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=20)
    position = models.PositiveSmallIntegerField(help_text=_("Order in the group's table"))
    name = models.CharField(max_length=100)
    counts = models.JSONField(default=dict)
    rates = models.JSONField(default=dict)
    penalties = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    talk = models.BooleanField(default=False)

    class Meta:
        db_table = "dispatch_assessmentrow"
        ordering = ["month", "group", "position"]
        constraints = [models.UniqueConstraint(fields=["month", "office"], name="assessment_row_once_per_month")]
        indexes = [models.Index(fields=["office", "month"], name="assessment_row_office_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.name}"


class Exemption(models.Model):
    """A ruling that a ticket does not count against a unit [AR-5], the one mechanism assessment.metrics honours:

    - an unreasonable repeated demand (无理重复诉求, no assignment, no metric): the ticket's assignments leave
      every count;
    - an upheld appeal (异议申诉, one assignment and one metric): that metric's deduction is undone for that
      assignment only — a rate counts the ticket as met, a penalty no longer counts it.
    """

    class Kind(models.TextChoices):
        UNREASONABLE_REPEAT = "unreasonable_repeat", _("Unreasonable repeated demand")
        APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld")

    ticket = models.ForeignKey("dispatch.Ticket", on_delete=models.CASCADE, related_name="exemptions")
    assignment = models.ForeignKey(
        "dispatch.Assignment", null=True, blank=True, on_delete=models.CASCADE, related_name="exemptions"
    )
    metric = models.CharField(max_length=24, blank=True, help_text=_("Empty: every count"))
    kind = models.CharField(max_length=24, choices=Kind.choices)
    reason = models.TextField()
    ruled_at = models.DateTimeField()
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-ruled_at"]
        verbose_name = _("assessment exemption")
        verbose_name_plural = _("assessment exemptions")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(metric=""), name="exemption_whole_ticket_once"),
            models.UniqueConstraint(
                fields=["assignment", "metric"], condition=~Q(metric=""), name="exemption_metric_once"
            ),
            models.CheckConstraint(
                condition=(Q(metric="", assignment__isnull=True) | (~Q(metric="") & Q(assignment__isnull=False))),
                name="exemption_whole_ticket_or_one_metric",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_kind_display()}"


class Appeal(models.Model):
    """[AR-5] A unit's appeal (异议申诉) against one deduction of one month: a ticket (its lead assignment) and
    the metric it cost points on. The city center upholds it (an Exemption, the month recomputed and revised)
    or rejects it, with its reasons."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting a ruling")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    unit = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", help_text=_("The ranked unit"))
    month = models.DateField(help_text=_("First day of the month"))
    ticket = models.ForeignKey("dispatch.Ticket", on_delete=models.CASCADE, related_name="+")
    assignment = models.ForeignKey("dispatch.Assignment", on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=24)
    points = models.FloatField(help_text=_("Points the metric cost the unit when the appeal was filed"))
    reason = models.TextField()
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    ruled_at = models.DateTimeField(null=True, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ruling = models.TextField(blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "ticket", "metric"], condition=Q(state="open"), name="appeal_one_open"
            ),
        ]
        indexes = [models.Index(fields=["unit", "month"], name="appeal_unit_month")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.ticket_id} {self.metric}"


class AssessmentRevision(models.Model):
    """[AR-5] A stored month revised after publication: when, why, and each unit whose score or rank moved."""

    month = models.ForeignKey(AssessmentMonth, on_delete=models.CASCADE, related_name="revisions")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField()
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions")
    changes = models.JSONField(
        default=list, help_text=_("[{office_id, name, group, score: [before, after], rank: [before, after]}]")
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("assessment revision")
        verbose_name_plural = _("assessment revisions")


class ReturnDispute(models.Model):
    """[AR-5] A unit disputes a refused return (退单争议) once; an administrator of the ticket's center, not the
    dispatcher who refused, gives the second and final ruling: overturn (the return is approved and the ticket
    re-dispatched) or confirm."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting the second ruling")
        OVERTURNED = "overturned", _("Refusal overturned")
        CONFIRMED = "confirmed", _("Refusal confirmed")

    ticket = models.ForeignKey("dispatch.Ticket", on_delete=models.CASCADE, related_name="+")
    assignment = models.OneToOneField("dispatch.Assignment", on_delete=models.CASCADE, related_name="return_dispute")
    # the first ruling, copied from its refuse_return event (events are partitioned: no foreign key to them)
    refusal_event = models.BigIntegerField()
    refused_at = models.DateTimeField()
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_note = models.TextField(blank=True)
    reason = models.TextField()
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    ruled_at = models.DateTimeField(null=True, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ruling = models.TextField(blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("return dispute")
        verbose_name_plural = _("return disputes")
