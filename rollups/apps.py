from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RollupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rollups"
    verbose_name = _("Rollups")

    def ready(self) -> None:
        from core import jobs

        # Before the maps' and briefings' jobs: they may read the cells.
        jobs.register("rollups", _fold, order=5, help="fold the ticket count deltas into the daily cells [AN-1]")


def _fold(*, now, batch):
    from .services import fold

    folded = fold()
    return "busy (another supervisor folds)" if folded is None else f"{folded} deltas folded"
