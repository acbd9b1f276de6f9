from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from core import jobs

        jobs.register("assessment", _refresh, order=90, help="the stored monthly assessment [AR-1]")


def _refresh(*, now, batch):
    from .store import refresh_assessment

    return refresh_assessment(now=now)
