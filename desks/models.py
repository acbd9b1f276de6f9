"""What the center's back office keeps beside the tickets: its reply templates, its supervision notices
(督办单) and the samples it hands to a third-party evaluator [CB-3]."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Category, Satisfaction, Ticket
from grid.models import Office


class ReplyTemplate(models.Model):
    """A center's own answer for a category (a consultation it answers itself), to start a reply from."""

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, help_text=_("Empty for every category")
    )
    office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.CASCADE, help_text=_("The center it belongs to; empty for all")
    )
    title = models.CharField(max_length=60)
    text = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "title"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.title


class Supervision(models.Model):
    """[SV-1] A supervision by a person: a reminder, a phone call, or a written notice (督办单) with a
    number that waits for the unit's answer."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        PHONE = "phone", _("Phone supervision")
        WRITTEN = "written", _("Written supervision")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="supervisions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    number = models.CharField(max_length=24, blank=True)
    to_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_by_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    note = models.TextField()
    answer_due = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="supervision_number_unique"),
            models.CheckConstraint(condition=~Q(kind="written") | ~Q(number=""), name="supervision_written_numbered"),
        ]


class EvaluationSample(models.Model):
    """[CB-3] A random sample of called-back tickets exported for a third-party evaluator, and their results."""

    code = models.CharField(max_length=24, unique=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    size = models.PositiveIntegerField()
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("evaluation sample")
        verbose_name_plural = _("evaluation samples")


class EvaluationItem(models.Model):
    sample = models.ForeignKey(EvaluationSample, on_delete=models.CASCADE, related_name="items")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)
    agrees = models.BooleanField(null=True, help_text=_("Whether the evaluator's finding matches the callback"))
    note = models.CharField(max_length=300, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "id"]
        constraints = [models.UniqueConstraint(fields=["sample", "ticket"], name="evaluationitem_once_per_sample")]


from .verification_models import FalseReportCase, VerifyingCallback  # noqa: E402, F401  [AR-5]
