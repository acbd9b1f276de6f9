from django.contrib import admin

from open311.models import Open311Key


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "is_active", "rate_limit_per_minute", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]
