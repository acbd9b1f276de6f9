from django.contrib import admin

from alerts.models import SpikeAlert


@admin.register(SpikeAlert)
class SpikeAlertAdmin(admin.ModelAdmin):
    """Flare alerts [AN-1]: raised by the supervisor, answered on /briefings/spikes/ (read-only here)."""

    list_display = ("day", "township_code", "category", "count", "baseline_mean", "report_due", "state", "reported_at")
    list_filter = ("state", "day")
    search_fields = ("township_code", "category__name", "report_text")
    readonly_fields = [f.name for f in SpikeAlert._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
