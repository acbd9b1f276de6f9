"""Open311 API keys: each client that may post requests, its channel and its rate limit."""

from __future__ import annotations

import uuid

from django.conf import settings
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
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "dispatch_open311key"
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name

    @property
    def effective_rate_limit(self) -> int:
        return self.rate_limit_per_minute or settings.OPEN311_RATE_LIMIT_PER_MINUTE
