from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from assessment.models import Appeal, AssessmentMonth, AssessmentRevision, AssessmentScheme, ReturnDispute
from assessment.store import scheme_changed


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    """A year's weights and penalty caps [AR-2]. Saving or deleting one makes that year's stored months
    recompute before they are shown again (assessment.store.scheme_changed)."""

    list_display = [
        "year",
        *AssessmentScheme.RATE_FIELDS.values(),
        *[f for pair in AssessmentScheme.PENALTY_FIELDS.values() for f in pair],
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["year", "note"]}),
        (
            _("Rate weights (points a unit earns at 100%; the six add up to 100)"),
            {
                "fields": list(AssessmentScheme.RATE_FIELDS.values()),
                "description": _(
                    "Each rate earns its weight times the rate: a unit that signed for 90 percent of its tickets "
                    "on time earns 90 percent of the sign-for weight. A rate with nothing to measure earns its "
                    "whole weight."
                ),
            },
        ),
        (
            _("Penalties (points off per percentage point of handled tickets, at most the cap)"),
            {
                "fields": [f for pair in AssessmentScheme.PENALTY_FIELDS.values() for f in pair],
                "description": _(
                    "Example: 0.5 points per percentage point with a cap of 10 takes 5 points off a unit with "
                    "10 percent of its tickets overdue, and never more than 10. Set the points to 0 to drop a "
                    "penalty."
                ),
            },
        ),
    ]
    readonly_fields = ["updated_at"]

    def save_model(self, request, obj, form, change):
        before = AssessmentScheme.objects.filter(pk=obj.pk).values_list("year", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        for year in {obj.year, before} - {None}:
            scheme_changed(year=year)

    def delete_model(self, request, obj):
        year = obj.year
        super().delete_model(request, obj)
        scheme_changed(year=year)

    def delete_queryset(self, request, queryset):
        years = list(queryset.values_list("year", flat=True))
        super().delete_queryset(request, queryset)
        for year in years:
            scheme_changed(year=year)


@admin.register(AssessmentMonth)
class AssessmentMonthAdmin(admin.ModelAdmin):
    """The stored months, to see how fresh they are; they change only by recomputation."""

    list_display = ["month", "computed_at", "scheme", "stale", "event_watermark", "assignment_watermark"]
    list_filter = ["stale"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """[AR-5] Filed and ruled through their services (each a ticket event, a ruling recomputes the month):
    the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["unit", "month", "ticket", "metric", "state", "filed_at", "ruled_at", "ruled_by"]
    list_filter = ["state", "metric"]


@admin.register(AssessmentRevision)
class AssessmentRevisionAdmin(ReadOnlyAdmin):
    list_display = ["month", "at", "by", "appeal", "reason"]


@admin.register(ReturnDispute)
class ReturnDisputeAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "assignment", "state", "filed_at", "refused_by", "ruled_by", "ruled_at"]
    list_filter = ["state"]
