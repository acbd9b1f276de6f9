from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "alerts"
    verbose_name = _("Flare alerts")

    def ready(self) -> None:
        from core import jobs

        jobs.register("spike_alerts", _raise_spike_alerts, order=20, help="flare alerts [AN-1]")


def _raise_spike_alerts(*, now, batch):
    """Today's category × township counts against their baseline, one grouped query [AN-1]."""
    from django.utils import timezone

    from .services import raise_spike_alerts

    return f"{len(raise_spike_alerts(day=timezone.localdate(now), now=now))} raised"
