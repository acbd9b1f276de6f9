from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """System-to-system ticket hand-over with 110/119/120/122 and the utility lines (工单互转) [CT-2]."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "linkage"
    verbose_name = "Linked systems"
