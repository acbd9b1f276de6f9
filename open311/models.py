"""Open311 API keys: each client that may post requests, its channel and its rate limit."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dispatch.models import Channel


class Open311Key(models.Model):
    """An API key of an Open311 client (an app or website posting requests)."""

    name = models.CharField(max_length=100)
    key = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    channel = models.CharField(max_length=24, choices=Channel.choices, default=Channel.APP)
    is_active = models.BooleanField(default=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("POSTs this key may make per minute; empty for the site's default (OPEN311_RATE_LIMIT_PER_MINUTE)"),
    )
    # [IN-2] real-name registration: the center takes the caller's name and phone itself, unless the key's
    # partner has verified them on its side and answers for them (a signed agreement, recorded here).
    caller_phone_required = models.BooleanField(
        _("caller's phone required"),
        default=True,
        help_text=_(
            "Untick only for a partner that registers its users by real name itself: its requests may then "
            "come without a phone, and the partner holds the caller's name and phone [IN-2]."
        ),
    )
    real_name_duty = models.TextField(
        _("real-name duty held by the partner"),
        blank=True,
        help_text=_(
            "Who at the partner holds the callers' real names and phones, under which agreement, and how the "
            "center reaches a caller through them (for the callback) [IN-2]. Required when the phone is optional."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "dispatch_open311key"
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if not self.caller_phone_required and not self.real_name_duty.strip():
            raise ValidationError(
                {"real_name_duty": _("Say who holds the callers' real names when the phone is optional [IN-2].")}
            )

    @property
    def client(self) -> str:
        """The client this key is, for idempotency keys and its own requests (dispatch.services.intake)."""
        return f"open311:{self.pk}"

    @property
    def effective_rate_limit(self) -> int:
        return self.rate_limit_per_minute or settings.OPEN311_RATE_LIMIT_PER_MINUTE
