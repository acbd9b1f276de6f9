from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dispatch"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from core import jobs

        from . import (
            routing,  # noqa: F401  (connects the routing table's invalidation signals)
            sla,  # noqa: F401  (the working-day calendar's reload signals and its check)
        )
        from .audit import on_events_persisted
        from .signals import events_persisted

        # every persisted state change has its audit row; the models do not import the audit
        events_persisted.connect(on_events_persisted, dispatch_uid="dispatch.audit.events")
        jobs.register("supervision", _supervise, order=10, help="deadline flags, escalation, repeats, callbacks")


def _supervise(*, now, batch):
    from .supervision import supervise_once

    return supervise_once(now=now, batch=batch)
