"""A trained ticket classifier, one row per version.

The fitted model is stored in the database (not a file) so that every process, on every host of a
scale-out, sees the same versions; `classify.services` reloads the newest one when it changes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClassifierVersion(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    trained_on_tickets = models.PositiveIntegerField(_("tickets trained on"), default=0)
    trained_on_corpus = models.PositiveIntegerField(_("corpus texts trained on"), default=0)
    train_seconds = models.FloatField(_("training time (s)"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    library = models.CharField(_("library"), max_length=60, blank=True, help_text="scikit-learn version that fitted it")
    # A pickled scikit-learn pipeline. Only `train_classifier` writes it: the database is trusted.
    model = models.BinaryField(_("model"))

    class Meta:
        ordering = ["-version"]
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")

    def __str__(self) -> str:
        return f"classifier v{self.version}"
