from django.contrib.gis import admin

from .models import Hotspot, HotspotRule


@admin.register(HotspotRule)
class HotspotRuleAdmin(admin.ModelAdmin):
    list_display = ["category_code", "radius_m", "min_tickets", "window_days", "is_active", "note"]
    list_editable = ["radius_m", "min_tickets", "window_days", "is_active"]
    list_display_links = ["category_code"]


@admin.register(Hotspot)
class HotspotAdmin(admin.ModelAdmin):
    list_display = ["label", "state", "ticket_count", "peak_count", "detected_at", "last_at", "case_opened_at"]
    list_filter = ["state", "category"]
    readonly_fields = [f.name for f in Hotspot._meta.fields if f.name not in ("case_note",)]
    search_fields = ["label", "place_name"]
