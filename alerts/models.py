"""Flare alerts: a category far above its baseline in one township on one day [AN-1]."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Category


class SpikeAlert(models.Model):
    """A public-opinion flare: one category's count in one township on one day far above its own
    baseline (alerts.detection). Raised once per category × township × day; the center owes a fast
    report within 2 hours of detection [AN-1]."""

    class State(models.TextChoices):
        OPEN = "open", _("Open: report owed")
        REPORTED = "reported", _("Reported")
        DISMISSED = "dismissed", _("Dismissed")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    township_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=12, blank=True)
    day = models.DateField()
    count = models.PositiveIntegerField(help_text=_("Tickets of the category in the township that day (latest pass)"))
    first_count = models.PositiveIntegerField(help_text=_("The count when the flare was raised"))
    baseline_mean = models.FloatField(help_text=_("Daily mean over the baseline days"))
    baseline_sd = models.FloatField()
    detected_at = models.DateTimeField()
    report_due = models.DateTimeField(help_text=_("Detection + 2 hours [AN-1]"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    report_text = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_reason = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pushed_at = models.DateTimeField(null=True, blank=True, help_text=_("When the walls were told"))

    class Meta:
        db_table = "dispatch_spikealert"
        ordering = ["-detected_at", "-id"]
        verbose_name = _("spike alert")
        verbose_name_plural = _("spike alerts")
        constraints = [
            models.UniqueConstraint(fields=["category", "township_code", "day"], name="spikealert_once_per_day"),
            models.CheckConstraint(
                condition=~Q(state="reported") | (~Q(report_text="") & Q(reported_at__isnull=False)),
                name="spikealert_reported_has_text",
            ),
        ]
        indexes = [models.Index(fields=["pushed_at"], condition=Q(pushed_at__isnull=True), name="spikealert_unpushed")]

    def __str__(self) -> str:
        return f"{self.day} {self.township_code} {self.category_id}: {self.count}"
