from django.contrib import admin

from open311.models import Open311Key


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "is_active",
        "caller_phone_required",
        "rate_limit_per_minute",
        "created_at",
        "last_used_at",
    ]
    list_filter = ["channel", "is_active", "caller_phone_required"]
    readonly_fields = ["created_at", "last_used_at"]
    fieldsets = [
        (None, {"fields": ["name", "key", "channel", "is_active", "rate_limit_per_minute"]}),
        # [IN-2]: when the partner registers its users by real name, the duty is recorded here
        ("[IN-2]", {"fields": ["caller_phone_required", "real_name_duty"]}),
        (None, {"fields": ["created_at", "last_used_at"]}),
    ]
