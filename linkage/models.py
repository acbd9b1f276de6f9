"""The linked systems (110, 119, 120, 122, the water/power/gas/heating lines) and every ticket handed
over to them or received from them (工单互转) [CT-2].

A hand-over is a record first: who, when, which line, the ticket, what was sent, what the linked system
answered (its reference number) — whichever backend carries it (linkage/backends.py).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import EmergencyTransfer, Ticket


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkedSystem(models.Model):
    """A system the hotline exchanges tickets with: one per line (110 police, 119 fire, …).

    Its inbound token (`POST /api/linkage/tickets`) is made in the admin, shown once and kept as a digest.
    """

    code = models.CharField(_("line"), max_length=8, choices=EmergencyTransfer.Line.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    token_digest = models.CharField(max_length=64, blank=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("linked system")
        verbose_name_plural = _("linked systems")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def issue_token(self) -> str:
        """A new inbound token for this system (the old one stops working); returned once."""
        from django.utils import timezone

        token = secrets.token_urlsafe(32)
        self.token_digest, self.token_issued_at = token_digest(token), timezone.now()
        self.save(update_fields=["token_digest", "token_issued_at"])
        return token


class HandOver(models.Model):
    """One ticket handed over to a linked system (out) or received from one (in) [CT-2]."""

    class Direction(models.TextChoices):
        OUT = "out", _("Handed over")
        IN = "in", _("Received")

    class State(models.TextChoices):
        OUTBOX = "outbox", _("Recorded in the outbox")
        SENT = "sent", _("Sent, no reference yet")
        ACCEPTED = "accepted", _("Accepted by the linked system")
        FAILED = "failed", _("Failed")
        RECEIVED = "received", _("Received")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="handovers")
    system = models.ForeignKey(LinkedSystem, on_delete=models.PROTECT, related_name="handovers")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    state = models.CharField(max_length=10, choices=State.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    call_id = models.CharField(max_length=64, blank=True, help_text=_("The console's call it was handed over from"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    their_reference = models.CharField(_("the linked system's reference"), max_length=64, blank=True)
    backend = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True, help_text=_("What was sent or received"))

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            # a linked system's reference names one matter received from it (its retries find it)
            models.UniqueConstraint(
                fields=["system", "their_reference"],
                condition=Q(direction="in"),
                name="handover_in_reference_once",
            ),
        ]
        indexes = [models.Index(fields=["ticket", "at"])]
        verbose_name = _("ticket hand-over")
        verbose_name_plural = _("ticket hand-overs")

    def __str__(self) -> str:
        arrow = "→" if self.direction == self.Direction.OUT else "←"
        return f"{self.ticket_id} {arrow} {self.system.code}"
