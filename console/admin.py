"""Seats, shifts, leaders' answering days and the PBX's tokens are managed in the admin [CT-1][CT-4]."""

from __future__ import annotations

import secrets

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import CallRecord, CtiToken, LeaderBooking, LeaderDay, Seat, Shift, token_digest


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ("extension", "kind", "dial_target", "office", "agent", "is_leader_seat", "signed_in_at")
    list_filter = ("kind", "is_leader_seat", "office__kind")
    search_fields = ("extension", "agent__username", "agent__display_name")
    raw_id_fields = ("office", "agent")


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("agent", "office", "starts_at", "ends_at")
    raw_id_fields = ("agent", "office")


@admin.register(CtiToken)
class CtiTokenAdmin(admin.ModelAdmin):
    """A new token is made on save and shown once; only its digest is kept."""

    list_display = ("name", "is_active", "is_demo", "created_at", "last_used_at")
    fields = ("name", "is_active", "is_demo", "created_at", "last_used_at")
    readonly_fields = ("is_demo", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if not change:
            token = secrets.token_urlsafe(32)
            obj.digest = token_digest(token)
            super().save_model(request, obj, form, change)
            messages.warning(request, _("The PBX's token (shown only now): %(token)s") % {"token": token})
            return
        super().save_model(request, obj, form, change)


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    list_display = ("call_id", "direction", "extension", "agent", "state", "rang_at", "talk_seconds", "transferred_to")
    list_filter = ("direction", "state", "leader_answered")
    search_fields = ("call_id", "extension")
    raw_id_fields = ("seat", "agent", "office")
    readonly_fields = ("tickets_of_call",)
    exclude = ("caller", "callee")  # [IN-2] numbers stay in the console, not in an admin list

    @admin.display(description=_("tickets"))
    def tickets_of_call(self, obj):
        return ", ".join(f"{link.ticket.number} ({link.get_relation_display()})" for link in obj.ticket_links.all())


class LeaderBookingInline(admin.TabularInline):
    model = LeaderBooking
    extra = 0
    raw_id_fields = ("booked_by",)


@admin.register(LeaderDay)
class LeaderDayAdmin(admin.ModelAdmin):
    """[CT-4] The schedule of leaders' answering days, with the callers booked for each."""

    list_display = ("day", "kind", "leader", "office", "topics")
    list_filter = ("kind",)
    raw_id_fields = ("leader", "office")
    inlines = [LeaderBookingInline]
