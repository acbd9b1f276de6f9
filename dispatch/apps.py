from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dispatch"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from . import routing  # noqa: F401  (connects the routing table's invalidation signals)
