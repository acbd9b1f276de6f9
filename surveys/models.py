"""Public-opinion and business surveys (社情民意调查, 企业满意度调查) [CT-1][PUB-4]: the survey, its ordered
questions, the outbound call list drawn for it and the responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dispatch.models import Ticket
from grid.models import Office


class Survey(models.Model):
    class Kind(models.TextChoices):
        PUBLIC_OPINION = "public_opinion", _("Public opinion")
        BUSINESS = "business", _("Business satisfaction")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The call list's draw, kept so that it can be drawn again identically.
    sample_seed = models.BigIntegerField(null=True, blank=True)
    sample_from = models.DateField(null=True, blank=True)
    sample_to = models.DateField(null=True, blank=True)
    sample_area = models.CharField(max_length=12, blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")), name="survey_dates_ordered")
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Single choice")
        SCALE = "scale", _("Scale 1-5")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "position"], name="question_position_unique")]

    def __str__(self) -> str:
        return self.text


class CallEntry(models.Model):
    """One caller to ring for a public-opinion survey: reached through their latest closed ticket, so the
    phone is read from the ticket (and masked) the one way the project hands a caller out."""

    class Outcome(models.TextChoices):
        REACHED = "reached", pgettext_lazy("survey call", "Reached")
        NOT_REACHED = "not_reached", pgettext_lazy("survey call", "Not reached")
        REFUSED = "refused", pgettext_lazy("survey call", "Refused")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="entries")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    county_code = models.CharField(max_length=12, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "ticket"], name="call_entry_ticket_unique")]


class Response(models.Model):
    """One set of answers: from a call-list entry (at most one, whatever is submitted twice) or a business."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    entry = models.OneToOneField(CallEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="response")
    credit_code = models.CharField(max_length=18, blank=True)
    county_code = models.CharField(max_length=12, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "credit_code"], condition=~models.Q(credit_code=""), name="response_business_once"
            )
        ]


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    choice = models.CharField(max_length=200, blank=True)
    scale = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question"),
            models.CheckConstraint(
                condition=models.Q(scale__isnull=True) | models.Q(scale__gte=1, scale__lte=5), name="answer_scale_1_5"
            ),
        ]
