"""Tickets and everything that decides where they go and how long they may take.

The reference tables (categories, routing rules, SLA policies, knowledge base,
refusal rules) are loaded from loaders/reference/ and edited by the center in
admin. A ticket's life is driven by dispatch.workflow (the one state machine);
every change of state writes a TicketEvent, so the events are the ticket's
history and audit log.

The vocabularies live in dispatch.choices and the reference tables in dispatch.reference;
both are re-exported here, so `from dispatch.models import Status, Category, Ticket` works.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grid.models import Area, Office

from .choices import (
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    Channel,
    DurationUnit,
    Kind,
    Nature,
    RefusalReason,
    Satisfaction,
    Status,
    Urgency,
)
from .reference import (
    CalendarDay,
    Category,
    KnowledgeArticle,
    RefusalRule,
    RoutingRule,
    SlaPolicy,
)
from .signals import events_persisted

__all__ = [
    "CalendarDay",
    "Channel",
    "Kind",
    "Nature",
    "Urgency",
    "Status",
    "OPEN_STATUSES",
    "RESOLVED_STATUSES",
    "RefusalReason",
    "Satisfaction",
    "DurationUnit",
    "Category",
    "RoutingRule",
    "SlaPolicy",
    "KnowledgeArticle",
    "RefusalRule",
    "Ticket",
    "Assignment",
    "Reply",
    "ExtensionRequest",
    "TicketEventQuerySet",
    "TicketEvent",
    "Attachment",
    "OutboundMessage",
]

# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------


class Ticket(models.Model):
    number = models.CharField(max_length=32, unique=True)
    channel = models.CharField(max_length=24, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    nature = models.CharField(max_length=1, choices=Nature.choices, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.GENERAL)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    description = models.TextField()
    address = models.CharField(max_length=300, blank=True)
    point = models.PointField(srid=4326, null=True, blank=True)
    location_source = models.CharField(
        max_length=12, blank=True, help_text=_("given (by the caller or device), geocoded, or empty")
    )
    geocode_precision = models.CharField(max_length=16, blank=True)
    geocode_confidence = models.FloatField(null=True, blank=True)
    # The area chain at intake: the area row keeps its generation, so an old
    # ticket stays with the unit that answered for the place at the time.
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField(max_length=12, blank=True)
    township_code = models.CharField(max_length=12, blank=True)
    community_code = models.CharField(max_length=12, blank=True)
    place_names = models.CharField(max_length=120, blank=True, help_text=_("County / township / community"))
    is_central = models.BooleanField(default=False)
    center = models.ForeignKey(
        Office,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="centered_tickets",
        help_text=_("The city center or sub-center that dispatches, supervises and calls back"),
    )
    caller_name = models.CharField(max_length=60, blank=True)
    caller_phone = models.CharField(max_length=24, blank=True)
    caller_email = models.CharField(max_length=254, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices)
    step = models.PositiveSmallIntegerField(default=1, help_text=_("Handling round: rises on re-dispatch and rework"))
    received_at = models.DateTimeField()
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    clock_started_at = models.DateTimeField(null=True, blank=True)
    sign_by = models.DateTimeField(null=True, blank=True)
    reply_by = models.DateTimeField(null=True, blank=True)
    resolve_by = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    reply_text = models.TextField(blank=True, help_text=_("The lead's and co-handlers' replies, combined"))

    callback_due = models.DateTimeField(null=True, blank=True)
    callback_sms_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_channel = models.CharField(max_length=8, blank=True)
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)

    near_deadline_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    reply_overdue_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the supervisor found the first reply to the caller late [SLA-1]")
    )
    callback_overdue_at = models.DateTimeField(null=True, blank=True)
    supervision_level = models.PositiveSmallIntegerField(
        default=0, help_text=_("0 none, 1 reminder, 2 phone, 3 written supervision [SV-1]")
    )
    focus_reasons = ArrayField(models.CharField(max_length=20), default=list, blank=True, help_text="[SV-3]")
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats", help_text="[SV-2]"
    )
    repeat_checked_at = models.DateTimeField(null=True, blank=True)
    attention = models.CharField(
        max_length=16, blank=True, help_text=_("unit_head or county_leader when a repeat goes up [SV-2]")
    )

    refusal_reason = models.CharField(max_length=24, choices=RefusalReason.choices, blank=True)
    referral = models.CharField(max_length=200, blank=True)
    kb_article = models.ForeignKey(KnowledgeArticle, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer = models.TextField(blank=True, help_text=_("The knowledge-base answer given at intake [IN-5]"))

    external_id = models.CharField(max_length=64, blank=True)
    # "<client>|<key>": a key belongs to the client that sent it (services.intake.scoped_key)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    extra = models.JSONField(default=dict, blank=True)
    # The caller chose to make the request public (the citizen's page, issue 16): the anonymous Open311
    # list shows its text redacted (core.redact); the others only as summary fields (issue 18).
    is_public = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], condition=Q(idempotency_key__isnull=False), name="ticket_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~Q(external_id=""), name="ticket_channel_external_id"
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""), name="ticket_refused_has_reason"
            ),
            models.CheckConstraint(condition=Q(supervision_level__lte=3), name="ticket_supervision_level_max_3"),
        ]
        indexes = [
            models.Index(fields=["status", "resolve_by"], name="ticket_status_resolve"),
            models.Index(fields=["received_at", "id"], name="ticket_received"),
            models.Index(fields=["county_code", "received_at"], name="ticket_county"),
            models.Index(fields=["township_code", "received_at"], name="ticket_township"),
            models.Index(fields=["community_code", "category"], name="ticket_community_category"),
            models.Index(fields=["category", "received_at"], name="ticket_category"),
            models.Index(fields=["id"], condition=Q(repeat_checked_at__isnull=True), name="ticket_repeat_unchecked"),
            # The wall's live counters: closed today, callbacks this month (analytics.live_counters).
            models.Index(fields=["closed_at"], name="ticket_closed"),
            models.Index(fields=["callback_at"], name="ticket_callback"),
        ]

    def __str__(self) -> str:
        return self.number


class Assignment(models.Model):
    """One office's part in one handling round of a ticket: lead or co-handler [AS-2]."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        CO = "co", _("Co-handling unit")

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SIGNED = "signed", _("Signed for")
        RETURN_REQUESTED = "return_requested", _("Return requested")
        RETURNED = "returned", _("Returned")
        REPLIED = "replied", _("Replied")
        CLOSED = "closed", _("Round over")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=8, choices=Role.choices)
    step = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=20, choices=State.choices, default=State.ASSIGNED)
    is_active = models.BooleanField(default=True)
    why = models.TextField(help_text=_("Why this office got the ticket"))
    dispatched_by = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField(blank=True)
    suggested_office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    return_requested_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "step", "-role", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(role="lead", is_active=True), name="assignment_one_active_lead"
            ),
            models.UniqueConstraint(
                fields=["ticket", "office"], condition=Q(is_active=True), name="assignment_office_once_per_ticket"
            ),
        ]
        indexes = [
            models.Index(fields=["office", "is_active"], name="assignment_office_active"),
            # the rulings desk's pending returns [AS-3]: a handful among all assignments
            models.Index(
                fields=["ticket"],
                condition=Q(is_active=True, state="return_requested"),
                name="assignment_return_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.office_id} ({self.role})"


class Reply(models.Model):
    """A unit's formal reply [HD-2]; the lead's goes to the center's review [HD-3]."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        ACCEPTED = "accepted", _("Accepted")
        SENT_BACK = "sent_back", _("Sent back to be completed")
        NOT_REVIEWED = "", _("Not reviewed (co-handler)")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="replies")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Assignment.Role.choices)
    step = models.PositiveSmallIntegerField()
    facts = models.TextField(_("facts"))
    result = models.TextField(_("result"))
    basis = models.TextField(_("basis"))
    signer = models.CharField(_("signed off by"), max_length=60)
    handler_name = models.CharField(_("handler"), max_length=60)
    replied_at = models.DateTimeField()
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review = models.CharField(max_length=12, choices=Review.choices, blank=True)
    review_note = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "replied_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")


class ExtensionRequest(models.Model):
    """A request for more time: one per ticket step, before the deadline, ≤ 6 days [SLA-3]."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="extensions")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="+")
    step = models.PositiveSmallIntegerField()
    days = models.PositiveSmallIntegerField()
    reason = models.TextField()
    signed_off_by = models.CharField(max_length=60, help_text=_("The unit head who signed the request"))
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    deadline_before = models.DateTimeField()
    deadline_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "step"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="extension_one_per_step"),
            models.CheckConstraint(condition=Q(days__gte=1, days__lte=6), name="extension_at_most_6_days"),
        ]


class TicketEventQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        events_persisted.send(sender=self.model, events=created)  # its audit rows (dispatch.audit)
        return created


class TicketEvent(models.Model):
    """One entry of a ticket's history: who did what, when, from which state to which, and why.

    Persisting one (save, bulk_create) sends dispatch.signals.events_persisted, on which the
    audit log (dispatch.audit) writes its row in the same transaction; the COPY loads call
    dispatch.audit themselves.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "at"], name="event_ticket_at"), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding:
            events_persisted.send(sender=type(self), events=[self])


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="tickets/%Y/%m/", blank=True)
    url = models.URLField(max_length=500, blank=True)
    name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [models.CheckConstraint(condition=~Q(file="") | ~Q(url=""), name="attachment_file_or_url")]


class OutboundMessage(models.Model):
    """An SMS, phone call or letter sent through the message gateway (dispatch.gateways)."""

    class Medium(models.TextChoices):
        SMS = "sms", _("SMS")
        CALL = "call", _("Phone call")
        LETTER = "letter", _("Written notice")

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    medium = models.CharField(max_length=8, choices=Medium.choices)
    purpose = models.CharField(max_length=24)
    to_office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_number = models.CharField(max_length=24, blank=True)
    text = models.TextField()
    gateway = models.CharField(max_length=60)
    status = models.CharField(max_length=12, default="recorded")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")


class HandlingRound(models.Model):
    """One handling round of a ticket (first dispatch, re-dispatch after a return, rework) and its own facts.

    The ticket's clock fields (sign_by … overdue_at) describe the round running now; when a new round
    starts they are reset for it, and this row keeps what the finished round was: its deadlines, when the
    lead signed for it, contacted the caller and replied, when the center closed it, whether it ran overdue
    and what the callback said. A database trigger (migration dispatch 0007) writes the row of the ticket's
    current step on every insert or update of those fields, so services, the supervisor's bulk updates and
    the loaders' COPY all keep it; a row of an earlier step is never written again. The assessment and its
    drill-down judge each lead assignment by the round it belongs to [AR-1][SLA-4].
    """

    class Kind(models.TextChoices):
        FIRST = "first", _("First dispatch")
        REDISPATCH = "redispatch", _("Re-dispatch after a return")
        REWORK = "rework", _("Rework after an unsatisfied callback")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="rounds")
    step = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    sign_by = models.DateTimeField(null=True, blank=True)
    reply_by = models.DateTimeField(null=True, blank=True)
    resolve_by = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    near_deadline_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    reply_overdue_at = models.DateTimeField(null=True, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)

    class Meta:
        ordering = ["ticket", "step"]
        verbose_name = _("handling round")
        verbose_name_plural = _("handling rounds")
        constraints = [models.UniqueConstraint(fields=["ticket", "step"], name="handlinground_one_per_step")]

    def __str__(self) -> str:
        return f"{self.ticket_id} round {self.step} ({self.kind})"


class EmergencyTransfer(models.Model):
    """The link kept when an emergency is handed to its line instead of being dropped [CT-2][IN-4]:
    which line (110, 119, 120, 122 or a utility), when, by whom, and what the caller was told."""

    class Line(models.TextChoices):
        POLICE = "110", _("110 police")
        FIRE = "119", _("119 fire and water rescue")
        AMBULANCE = "120", _("120 ambulance")
        TRAFFIC = "122", _("122 traffic police")
        WATER = "water", _("Water utility line")
        POWER = "power", _("Power utility line")
        GAS = "gas", _("Gas utility line")
        HEATING = "heating", _("Heating utility line")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    line = models.CharField(max_length=8, choices=Line.choices)
    transferred_at = models.DateTimeField()
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    referral = models.CharField(max_length=200, blank=True, help_text=_("What the caller was told"))
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["ticket", "transferred_at", "id"]
        verbose_name = _("emergency transfer")
        verbose_name_plural = _("emergency transfers")

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.line}"


class CallerContact(models.Model):
    """[HD-1] A unit's contact with the caller, or a failed attempt (a fact to record, not a contact).

    Only a contact that reached the caller sets Ticket.contacted_at (the assessment's contact measure [AR-1]);
    a lead's reply needs one or the other before it reaches the center's review.
    """

    class Means(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        VISIT = "visit", _("Visit in person")
        WECHAT = "wechat", _("WeChat")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the caller")
        FAILED = "failed", _("Could not reach the caller")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="contacts")
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    means = models.CharField(max_length=8, choices=Means.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["ticket", "at", "id"]
        verbose_name = _("contact with the caller")
        verbose_name_plural = _("contacts with callers")
        indexes = [models.Index(fields=["ticket", "step"], name="callercontact_ticket_step")]


class AdditionalCaller(models.Model):
    """A further caller of a ticket: the caller of a duplicate merged into it [SV-2], called back too [CB-1]."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="additional_callers")
    name = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=24, blank=True)
    from_ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["ticket", "added_at", "id"]
        verbose_name = _("additional caller")
        verbose_name_plural = _("additional callers")


class InboundMessage(models.Model):
    """An SMS answer that reached the gateway's webhook (dispatch.gateways) [CB-2]: kept whatever it says."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded", _("Satisfaction recorded")
        UNREADABLE = "unreadable", _("Not 1, 2 or 3")
        NO_TICKET = "no_ticket", _("No ticket awaits this number's answer")
        DUPLICATE = "duplicate", _("Already answered")

    provider_id = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=24)
    text = models.CharField(max_length=500)
    received_at = models.DateTimeField()
    gateway = models.CharField(max_length=60)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
