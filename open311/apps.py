from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "open311"
    verbose_name = _("Open311")

    def ready(self):
        from core.errors import register_error_format
        from open311.errors import PREFIX, respond

        # Django's own 400/404/500 under /open311/ answer in the spec's error list (issue 18)
        register_error_format(PREFIX, respond)
