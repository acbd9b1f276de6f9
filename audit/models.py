"""The audit log: one append-only table of who did what, when, from where.

It knows nothing of tickets or offices as models (the arrow points the other
way: dispatch writes into it): users, offices and objects are kept as plain ids
and codes, so that no foreign key can ever cascade or null a row, and a row
still says who acted after the user is gone. Rows are only ever inserted: the
model refuses updates and deletes, and a PostgreSQL trigger (migration 0001)
refuses them from any other client too [IN-2].
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("audit rows are never updated")

    def delete(self):
        raise AuditLogIsAppendOnly("audit rows are never deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditLogIsAppendOnly("audit rows are never updated")

    def update_or_create(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit rows are never updated")


class Action(models.TextChoices):
    """Kinds of audited acts; ticket transitions are `ticket.<transition name>`."""

    CALLER_VIEWED = "caller.viewed", _("Caller data shown unmasked")
    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Log-in failed")
    LOGOUT = "auth.logout", _("Logged out")
    LOCKED_OUT = "auth.locked_out", _("Locked out")
    UNLOCKED = "auth.unlocked", _("Log-in lock lifted")
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    office_id = models.BigIntegerField(_("office id"), null=True, blank=True)
    office_code = models.CharField(_("office"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=48)
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    ticket_number = models.CharField(_("ticket number"), max_length=32, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)  # nobody may add, change or delete through admin
        permissions = [("export_auditentry", _("Can export the audit log"))]
        indexes = [
            models.Index(fields=["ticket_number", "at"], name="audit_ticket_at", condition=~models.Q(ticket_number="")),
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["user_id", "at"], name="audit_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit rows are never updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("audit rows are never deleted")
