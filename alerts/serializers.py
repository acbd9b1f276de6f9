"""Input and output shapes of the spike-alert API [AN-1]."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alerts.models import SpikeAlert
from alerts.services import REPORT_MAX_CHARS, REPORT_MIN_CHARS


class SpikeListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=SpikeAlert.State.choices, required=False, allow_blank=True, default="")
    day = serializers.DateField(required=False, help_text="ISO date (YYYY-MM-DD) of the flare")
    township = serializers.RegexField(
        r"^\d{9}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages={"invalid": _("A township code is 9 digits, e.g. 410402002.")},
    )
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: report late or still owed after its deadline"
    )


class SpikeAlertSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.path", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    township = serializers.SerializerMethodField()
    report_overdue = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()
    acknowledged_by = serializers.SerializerMethodField()
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = SpikeAlert
        fields = [
            "id",
            "category",
            "category_code",
            "county_code",
            "township_code",
            "township",
            "day",
            "count",
            "first_count",
            "baseline_mean",
            "baseline_sd",
            "detected_at",
            "report_due",
            "seconds_left",
            "report_overdue",
            "state",
            "acknowledged_at",
            "acknowledged_by",
            "report_text",
            "reported_at",
            "reported_by",
            "dismissed_reason",
        ]
        read_only_fields = fields

    def get_township(self, obj: SpikeAlert) -> str:
        return getattr(obj, "township_name", obj.township_code)

    def get_acknowledged_by(self, obj: SpikeAlert) -> str | None:
        """Who took the flare on; null while nobody has."""
        return str(obj.acknowledged_by) if obj.acknowledged_by_id else None

    def get_reported_by(self, obj: SpikeAlert) -> str | None:
        """Who filed the report; null until it is filed."""
        return str(obj.reported_by) if obj.reported_by_id else None

    def get_report_overdue(self, obj: SpikeAlert) -> bool:
        """Still open after report_due, or reported after it [AN-1]."""
        return bool(getattr(obj, "report_overdue", False))

    def get_seconds_left(self, obj: SpikeAlert) -> int | None:
        """Seconds until the report is due (negative when late); null once reported or dismissed."""
        if obj.state != SpikeAlert.State.OPEN:
            return None
        return int((obj.report_due - self.context.get("now", timezone.now())).total_seconds())


class SpikeReportSerializer(serializers.Serializer):
    text = serializers.CharField(
        min_length=REPORT_MIN_CHARS,
        max_length=REPORT_MAX_CHARS,
        help_text="The fast report: what happened, where, what is being done [AN-1]",
    )


class SpikeDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=4, max_length=2000, help_text="Why this is not a flare")
