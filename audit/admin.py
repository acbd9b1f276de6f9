"""The audit log in admin: read-only, nothing to add, change or delete; the
changelist links to the CSV export for the period."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "username",
        "office_code",
        "action",
        "object_type",
        "object_id",
        "ticket_number",
        "remote_addr",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "office_code", "ticket_number", "object_id", "remote_addr"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    change_list_template = "admin/audit/auditentry/change_list.html"
    actions = None
    show_full_result_count = False  # counting millions of rows on every page is slow

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "export_title": _("Export CSV")}
        return super().changelist_view(request, extra_context)
