from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dispatch.fieldwork"
    label = "fieldwork"
    verbose_name = _("Fieldwork")

    def ready(self) -> None:
        from core.photos import register_heif  # HEIC/HEIF photos from phones open like any other image

        register_heif()
