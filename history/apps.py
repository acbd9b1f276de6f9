from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HistoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "history"
    verbose_name = _("History partitions")

    def ready(self) -> None:
        from core import jobs

        jobs.register("partitions", _ensure, order=1, help="monthly partitions of events and the audit log, ahead")


def _ensure(*, now, batch):
    from .services import ensure_partitions

    made = ensure_partitions()
    return f"{made} partitions made" if made else "partitions ready"
