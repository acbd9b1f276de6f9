"""The linked systems and their inbound tokens, and the hand-over table (the outbox) [CT-2]."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import HandOver, LinkedSystem


@admin.register(LinkedSystem)
class LinkedSystemAdmin(admin.ModelAdmin):
    """A new system gets its inbound token on save, shown once; "issue a new token" replaces it."""

    list_display = ("code", "name", "is_active", "token_issued_at", "last_received_at")
    fields = ("code", "name", "is_active", "token_issued_at", "last_received_at")
    readonly_fields = ("token_issued_at", "last_received_at")
    actions = ["issue_tokens"]

    def _show(self, request, system, token):
        messages.warning(
            request, _("%(system)s's token (shown only now): %(token)s") % {"system": system, "token": token}
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            self._show(request, obj, obj.issue_token())

    @admin.action(description=_("Issue a new inbound token (the old one stops working)"))
    def issue_tokens(self, request, queryset):
        for system in queryset:
            self._show(request, system, system.issue_token())


@admin.register(HandOver)
class HandOverAdmin(admin.ModelAdmin):
    """Every hand-over, out and in: the outbox. The payload (with the caller's contact) stays out of it [IN-2]."""

    list_display = ("at", "ticket", "direction", "system", "state", "their_reference", "by", "attempts")
    list_filter = ("direction", "state", "system")
    search_fields = ("ticket__number", "their_reference", "idempotency_key")
    exclude = ("payload",)
    readonly_fields = (
        "ticket",
        "system",
        "direction",
        "state",
        "at",
        "by",
        "call_id",
        "note",
        "idempotency_key",
        "their_reference",
        "backend",
        "attempts",
        "last_error",
        "answered_at",
    )

    def has_add_permission(self, request):
        return False
