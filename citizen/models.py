"""What the citizen's side keeps beside the ticket: the caller's choices (public or private, filed as a
business) and the one-time codes that verify a phone [IN-2][PUB-2]."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Ticket


class CitizenReport(models.Model):
    """A request filed on the citizen's page (/m/): the ticket and what the caller chose with it.

    `public` is the caller's consent, kept once, on the ticket (`Ticket.is_public`): only such cases, once closed,
    enter the public record [PUB-1][PUB-3], and Open311's anonymous readers see their text (redacted).
    A business files with its unified social credit code [PUB-4]; the center lists those apart.
    `county_code`/`township_code` copy the ticket's place at intake: the public record by area and month
    is one range of a partial index, whatever the number of tickets.
    `phone_key` is a keyed digest of the verified phone, so "my requests" is one indexed query
    without reading callers' phone numbers.
    """

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="citizen_report")
    is_business = models.BooleanField(_("filed by a business"), default=False)
    business_name = models.CharField(_("business name"), max_length=100, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    phone_key = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    # The ticket's place at intake, copied so that the public record by area is one index range.
    county_code = models.CharField(max_length=12, blank=True)
    township_code = models.CharField(max_length=12, blank=True)
    held_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("citizen's request")
        verbose_name_plural = _("citizens' requests")
        indexes = [
            # The public record: newest first, by month (received_at range) and area; the ticket, joined by
            # its key, says whether it is public and closed [PUB-1].
            models.Index(fields=["-received_at", "-id"], name="citizen_recent"),
            models.Index(fields=["county_code", "-received_at", "-id"], name="citizen_county_recent"),
            models.Index(fields=["township_code", "-received_at", "-id"], name="citizen_township_recent"),
            models.Index(fields=["phone_key", "-received_at"], name="citizen_phone_recent"),
            models.Index(fields=["-received_at"], condition=Q(is_business=True), name="citizen_business_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_business=False) | ~Q(credit_code=""), name="citizenreport_business_has_code"
            ),
        ]

    def __str__(self) -> str:
        return str(self.ticket_id)

    @property
    def public(self) -> bool:
        """The caller's choice, as the ticket keeps it (one source for the public record and Open311)."""
        return self.ticket.is_public


class PhoneCode(models.Model):
    """A one-time code sent to a phone by SMS; its digest only, a few attempts, a few minutes [IN-2]."""

    phone_key = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone_key", "-created_at"], name="phonecode_phone_recent")]

    def __str__(self) -> str:
        return f"{self.phone_key[:8]}… {self.created_at:%Y-%m-%d %H:%M}"
