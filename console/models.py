"""Seats, shifts, the telephony system's tokens and every call as a record [CT-1].

A call is recorded whether or not a ticket came of it: who took it, when it rang, was answered
and ended, its recording, and the tickets made from it or linked to it.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Ticket
from grid.models import Office


class Seat(models.Model):
    """A place at a center's console with its telephone extension; an agent sits at it (one seat each).

    A remote seat (远端座席) [CT-1] is not a desk phone at the center: a leader's or a township's seat
    reached through a SIP URI or a phone number; the PBX still knows it by its extension (CTI events ring
    it like any seat), and rings its `dial_target` when the console places a call from it."""

    class Kind(models.TextChoices):
        DESK = "desk", _("Desk phone at the center")
        REMOTE = "remote", _("Remote seat (SIP URI or phone number)")

    extension = models.CharField(_("extension"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DESK)
    dial_target = models.CharField(
        _("dial target"), max_length=200, blank=True, help_text=_("A remote seat's SIP URI or phone number")
    )
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="seats")
    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="seat"
    )
    is_leader_seat = models.BooleanField(_("leader's seat"), default=False, help_text="[CT-4]")
    signed_in_at = models.DateTimeField(null=True, blank=True, help_text=_("Set while the agent's console is open"))

    class Meta:
        ordering = ["extension"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="remote") | ~Q(dial_target=""), name="remote_seat_has_dial_target")
        ]
        verbose_name = _("seat")
        verbose_name_plural = _("seats")

    def __str__(self) -> str:
        return f"{self.extension} ({self.agent or '-'})"

    @property
    def ring_target(self) -> str:
        """What the PBX rings for this seat: a remote seat's SIP URI or number, else the extension."""
        return self.dial_target if self.kind == self.Kind.REMOTE and self.dial_target else self.extension


class Shift(models.Model):
    """When an agent is rostered at a center."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start")
        ]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CtiToken(models.Model):
    """A token the telephony system (PBX) presents on /api/cti/events; only its digest is stored.

    A demo token (is_demo) is accepted only where settings.CTI_ACCEPT_DEMO_TOKEN is on: never in production.
    """

    name = models.CharField(max_length=60)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    is_demo = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("telephony token")
        verbose_name_plural = _("telephony tokens")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, name: str, *, token: str | None = None, is_demo: bool = False) -> tuple[CtiToken, str]:
        """A new token row and the token itself (shown once)."""
        token = token or secrets.token_urlsafe(32)
        row, _created = cls.objects.update_or_create(
            digest=token_digest(token), defaults={"name": name, "is_demo": is_demo, "is_active": True}
        )
        return row, token


class CallRecord(models.Model):
    """One call, in or out [CT-1]."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class State(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", _("Ended")
        MISSED = "missed", _("Missed")

    call_id = models.CharField(max_length=64, unique=True)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    caller = models.CharField(max_length=32, blank=True)
    callee = models.CharField(max_length=32, blank=True)
    extension = models.CharField(max_length=16, blank=True)
    seat = models.ForeignKey(Seat, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RINGING)
    rang_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    # [CT-2] an emergency transferred to 110/119/120/122 or a utility line: a linkage, not a refusal
    transferred_to = models.CharField(max_length=16, blank=True)
    transferred_at = models.DateTimeField(null=True, blank=True)
    transfer_note = models.CharField(max_length=200, blank=True)
    leader_answered = models.BooleanField(default=False, help_text="[CT-4] taken at a leader's seat")
    draft = models.JSONField(default=dict, blank=True, help_text=_("The ticket form saved during the call"))
    pbx_log = models.JSONField(default=list, blank=True, help_text=_("What the agent asked the PBX to do"))
    tickets = models.ManyToManyField(Ticket, through="CallTicket", related_name="calls", blank=True)

    class Meta:
        ordering = ["-rang_at"]
        indexes = [models.Index(fields=["caller", "rang_at"]), models.Index(fields=["office", "rang_at"])]
        verbose_name = _("call record")
        verbose_name_plural = _("call records")

    def __str__(self) -> str:
        return f"{self.call_id} {self.caller}→{self.extension}"

    @property
    def talk_seconds(self) -> int | None:
        if self.answered_at and self.ended_at:
            return int((self.ended_at - self.answered_at).total_seconds())
        return None


class CallTicket(models.Model):
    """A ticket that came of a call: made from it, or the caller added to an open one (same problem)."""

    class Relation(models.TextChoices):
        CREATED = "created", _("Ticket made from the call")
        LINKED = "linked", _("Caller added to an open ticket")
        ABOUT = "about", _("Call made about the ticket")

    call = models.ForeignKey(CallRecord, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="call_links")
    relation = models.CharField(max_length=8, choices=Relation.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "ticket"], name="call_ticket_once")]


class LeaderDay(models.Model):
    """[CT-4] A leader answers the line on a day (领导接话日): who, for which office, when, on what; or a
    deputy's or CPPCC member's day, or one of the hotline's open days (热线开放日, at least two a year)."""

    class Kind(models.TextChoices):
        LEADER = "leader", _("Leader's answering day")
        DEPUTY = "deputy", _("Deputies' and CPPCC members' answering day")
        OPEN_DAY = "open_day", _("Hotline open day")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LEADER)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leader_days")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    topics = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["leader", "day"], name="leader_day_once")]


class LeaderBooking(models.Model):
    """[CT-4] A caller booked to speak with the leader on that day."""

    leader_day = models.ForeignKey(LeaderDay, on_delete=models.CASCADE, related_name="bookings")
    caller_phone = models.CharField(max_length=24)
    caller_name = models.CharField(max_length=60, blank=True)
    topic = models.CharField(max_length=200)
    booked_at = models.DateTimeField(auto_now_add=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
