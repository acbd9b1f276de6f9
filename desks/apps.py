from django.apps import AppConfig


class DesksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "desks"
    verbose_name = "Center desks"
