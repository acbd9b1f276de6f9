"""[AR-5] What the callback desk keeps of a verifying callback (回访复核): the case opened against a unit
suspected of false reporting (谎报瞒报), and each of its tickets called back to check the unit's reply.

Imported by desks.models, so that they are the desks app's models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Ticket
from grid.models import Office


class FalseReportCase(models.Model):
    """A unit flagged as suspected of false reports, by a person of a center, with the reason; the sample
    it put on the verifying-callback queue is drawn with `seed`, so the same data gives the same sample."""

    class Source(models.TextChoices):
        PERSON = "person", _("Flagged by a person")
        SIGNAL = "signal", _("Suspected by the system")

    center = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.PERSON)
    reason = models.TextField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField()
    seed = models.BigIntegerField()
    sample_size = models.PositiveSmallIntegerField()
    window_days = models.PositiveSmallIntegerField(default=30)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("false report case")
        verbose_name_plural = _("false report cases")


class VerifyingCallback(models.Model):
    """One ticket of a case, called back to check the unit's reply of round `step`, and what was found."""

    class Why(models.TextChoices):
        FLAGGED = "flagged", _("Flagged")
        SIGNAL = "signal", _("Contradicted after the reply")
        SAMPLE = "sample", _("Random sample")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not called yet")
        CONFIRMED = "confirmed", _("Reply confirmed")
        UNSOLVED = "unsolved", _("Reply false: problem not solved")
        NO_CONTACT = "no_contact", _("Reply false: the unit never contacted the caller")
        UNREACHABLE = "unreachable", _("Caller unreachable")

    FALSE = (Outcome.UNSOLVED, Outcome.NO_CONTACT)

    case = models.ForeignKey(FalseReportCase, on_delete=models.CASCADE, related_name="callbacks")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    step = models.PositiveSmallIntegerField(help_text=_("The handling round whose reply is verified"))
    why = models.CharField(max_length=8, choices=Why.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    reworked = models.BooleanField(default=False, help_text=_("The false reply sent the ticket to rework"))

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("verifying callback")
        verbose_name_plural = _("verifying callbacks")
        constraints = [
            models.UniqueConstraint(fields=["case", "ticket"], name="verifyingcallback_once_per_case"),
            models.UniqueConstraint(
                fields=["ticket", "step"], condition=Q(outcome=""), name="verifyingcallback_one_pending_per_round"
            ),
        ]

    @property
    def is_false(self) -> bool:
        return self.outcome in self.FALSE
