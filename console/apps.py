from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The call-taker's console: seats, calls from the telephony system, screen pop and intake [CT-1..5]."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "console"
    verbose_name = "Call-taker's console"
