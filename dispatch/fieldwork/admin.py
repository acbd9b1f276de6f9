from django.contrib import admin

from .models import CommunityReply, Delegation, Photo


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ("ticket", "office", "worker", "state", "is_active", "delegated_at")
    list_filter = ("state", "is_active")
    search_fields = ("ticket__number", "office__name", "worker__username")
    raw_id_fields = ("ticket", "assignment", "office", "worker", "delegated_by", "suggested_office")
    readonly_fields = ("delegated_at", "accepted_at", "ended_at")


@admin.register(CommunityReply)
class CommunityReplyAdmin(admin.ModelAdmin):
    list_display = ("ticket", "submitted_by", "submitted_at", "review")
    list_filter = ("review",)
    search_fields = ("ticket__number",)
    raw_id_fields = ("delegation", "ticket", "submitted_by", "reviewed_by", "reply")


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    list_display = ("attachment", "original_format", "width", "height", "taken_at", "device", "context")
    search_fields = ("attachment__ticket__number", "sha256")
    raw_id_fields = ("attachment",)
    readonly_fields = ("sha256", "original_size", "original_format", "width", "height")
