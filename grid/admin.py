from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis import admin as gis_admin
from django.utils.translation import gettext_lazy as _

from .models import Area, BoundaryGeneration, Office, User
from .services import rebuild_pieces
from .widgets import OfflineMapWidget


@admin.register(Area)
class AreaAdmin(gis_admin.GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_display = ["code", "name", "level", "parent", "is_zone", "is_central", "valid_from", "valid_to"]
    list_filter = ["level", "is_zone", "is_central", "urban", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name", "short_name", "aliases"]
    raw_id_fields = ["parent", "generation"]
    readonly_fields = ["valid_from", "valid_to"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "geom" in form.changed_data and obj.valid_to is None:
            rebuild_pieces(level=obj.level)  # point lookups follow the edited outline at once


@admin.register(BoundaryGeneration)
class BoundaryGenerationAdmin(admin.ModelAdmin):
    list_display = ["id", "level", "source", "valid_from", "valid_to"]
    list_filter = ["level"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "area_code", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "area_code"]
    raw_id_fields = ["parent"]


@admin.register(User)
class GridUserAdmin(UserAdmin):
    list_display = ["username", "display_name", "office", "role", "is_active"]
    list_filter = ["role", "is_active", "office__kind"]
    raw_id_fields = ["office"]
    fieldsets = UserAdmin.fieldsets + ((_("Office and role"), {"fields": ("office", "role", "display_name")}),)
    add_fieldsets = UserAdmin.add_fieldsets + ((_("Office and role"), {"fields": ("office", "role", "display_name")}),)
    actions = ["lift_login_locks"]

    @admin.action(description=_("Lift log-in locks"), permissions=["change"])
    def lift_login_locks(self, request, queryset):
        """A locked-out user gets in again at once (audit.lockout: the lock is per name and address)."""
        from audit.lockout import unlock

        for user in queryset:
            unlock(username=user.get_username(), by=request.user)
        self.message_user(request, _("Log-in locks lifted for %(n)d users.") % {"n": queryset.count()})
