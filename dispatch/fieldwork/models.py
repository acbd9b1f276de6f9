"""Delegations inside a township, community draft replies, and photos from the field."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Assignment, Attachment, Reply, Ticket
from grid.models import Office


class Delegation(models.Model):
    """An office holding a ticket hands the work to a community workstation or one grid worker.

    The delegating office keeps its assignment and answers for the ticket: a
    township's delegation ends with the community's draft reply, which the
    township reviews and sends up as its own formal reply [HD-2][HD-3]. A
    workstation head's delegation to one of the workstation's grid workers
    only says who is on it (the worker replies for the workstation directly).
    """

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned, not yet accepted")
        ACCEPTED = "accepted", _("Accepted, being handled")
        SUBMITTED = "submitted", _("Draft reply awaiting review")
        SENT_BACK = "sent_back", _("Draft reply sent back")
        APPROVED = "approved", _("Draft reply approved and sent up")
        HANDED_BACK = "handed_back", _("Handed back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="delegations")
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.CASCADE,
        related_name="delegations",
        help_text=_("The delegating office's assignment: it keeps answering for the ticket"),
    )
    step = models.PositiveSmallIntegerField()
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="delegations",
        limit_choices_to={"kind": Office.Kind.WORKSTATION},
        help_text=_("The community workstation doing the work"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations",
        help_text=_("One grid worker of that workstation, or empty for the whole workstation"),
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.ASSIGNED)
    is_active = models.BooleanField(default=True)
    note = models.TextField(blank=True)
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    delegated_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    suggested_office = models.ForeignKey(
        Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text=_("When handed back")
    )

    class Meta:
        ordering = ["ticket", "-delegated_at", "-id"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(is_active=True), name="delegation_one_active"),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(state__in=["assigned", "accepted", "submitted", "sent_back"]),
                name="delegation_active_states",
            ),
        ]
        indexes = [models.Index(fields=["office", "is_active"], name="delegation_office_active")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.office_id}{f' / {self.worker_id}' if self.worker_id else ''}"

    @property
    def reviewed_by_township(self) -> bool:
        """A township's delegation: the community's reply goes to the township first."""
        return self.assignment.office_id != self.office_id


class CommunityReply(models.Model):
    """A community's draft reply to the township that delegated the ticket [HD-2], reviewed before it goes up."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Awaiting the township's review")
        APPROVED = "approved", _("Approved and sent up")
        SENT_BACK = "sent_back", _("Sent back to the community")

    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="drafts")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="community_replies")
    facts = models.TextField(_("facts"))
    result = models.TextField(_("result"))
    basis = models.TextField(_("basis"))
    signer = models.CharField(_("signed off by"), max_length=60)
    handler_name = models.CharField(_("handler"), max_length=60)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    review = models.CharField(max_length=12, choices=Review.choices, default=Review.PENDING)
    review_note = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.OneToOneField(
        Reply,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_draft",
        help_text=_("The formal reply it became"),
    )

    class Meta:
        ordering = ["ticket", "submitted_at", "id"]
        verbose_name = _("community draft reply")
        verbose_name_plural = _("community draft replies")
        constraints = [
            models.UniqueConstraint(
                fields=["delegation"], condition=Q(review="pending"), name="communityreply_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.result[:30]}"


class Photo(models.Model):
    """What we know of a photo attached to a ticket: the served copy carries no EXIF, this keeps it as data."""

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, related_name="photo")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    thumbnail = models.FileField(upload_to="thumbs/%Y/%m/")
    original_format = models.CharField(max_length=8, help_text=_("JPEG, PNG, WEBP or HEIF"))
    original_size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text=_("Of the file as uploaded (evidence)"))
    taken_at = models.DateTimeField(null=True, blank=True, help_text=_("EXIF time the photo was taken"))
    exif_point = models.PointField(srid=4326, null=True, blank=True, help_text=_("EXIF GPS position"))
    device = models.CharField(max_length=100, blank=True)
    context = models.CharField(
        max_length=12,
        blank=True,
        help_text=_("report, reply, draft (a community draft reply) or evidence: when it was attached"),
    )

    class Meta:
        ordering = ["attachment_id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.attachment.name
