from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassifyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "classify"
    verbose_name = _("Ticket classifier")
