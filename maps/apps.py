from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "maps"
    verbose_name = _("Maps")

    def ready(self) -> None:
        from core import jobs

        from . import signals  # noqa: F401  (pushes ticket changes to the live walls)

        # The supervisor finds what the walls should hear of; the web processes only push it.
        jobs.register("hotspots", _hotspots, order=30, help="the hotspot register [AN-1]; notices formed/grew")
        jobs.register("overdue_notices", _overdue, order=40, help="notices of tickets that have just become overdue")


def _hotspots(*, now, batch):
    from .services import refresh_hotspots_if_new_tickets

    return refresh_hotspots_if_new_tickets(now=now)


def _overdue(*, now, batch):
    from .services import sweep_overdue

    return f"{len(sweep_overdue(now=now))} became overdue"
