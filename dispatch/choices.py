"""The vocabularies of a ticket: channels, kinds, nature classes, urgencies, states (and the
sets of states the rules speak of), refusal reasons, satisfaction, SLA duration units."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where a request came in [IN-1]."""

    PHONE = "phone", _("Phone 12345")
    WEB = "web", _("Website")
    MAYOR_MAILBOX = "mayor_mailbox", _("Mayor's mailbox")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    APP = "app", _("Mobile app")
    MEDIA = "media", _("Media column")
    LEADERS_BOARD = "leaders_board", _("People's Daily leaders' message board")
    NATIONAL_PLATFORM = "national_platform", _("National platform")
    GRID_WORKER = "grid_worker", _("Grid worker")
    H5 = "h5", _("Web/WeChat H5 page")  # the citizen's own page, /m/ (issue 16)
    LINKAGE = "linkage", _("Linked system (110/119/120/122, utilities)")  # handed over to 12345 [CT-2]


class Kind(models.TextChoices):
    """What the caller wants [IN-3]."""

    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Help request")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Nature(models.TextChoices):
    """Nature classes of the Pingdingshan rules [IN-3]."""

    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")
    D = "D", _("Class D")


class Urgency(models.TextChoices):
    GENERAL = "general", _("General")
    URGENT = "urgent", _("Urgent")
    EXTRA_URGENT = "extra_urgent", _("Extra-urgent")


class Status(models.TextChoices):
    """Ticket states; the transitions between them live in dispatch.workflow."""

    REFUSED = "refused", _("Not accepted")
    PENDING_DISPATCH = "pending_dispatch", _("Awaiting manual dispatch")
    DISPATCHED = "dispatched", _("Dispatched, awaiting sign-for")
    IN_PROGRESS = "in_progress", _("Being handled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    REPLIED = "replied", _("Replied, awaiting review")
    CLOSED = "closed", _("Closed, awaiting callback")
    CALLBACK_MANUAL = "callback_manual", _("Awaiting manual callback")
    ARCHIVED = "archived", _("Completed")


# Being worked on by a unit: the deadline clocks run and the supervisor watches.
OPEN_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURN_REQUESTED)
# The unit has answered: the ticket counts as resolved for repeat detection [SV-2].
RESOLVED_STATUSES = (Status.REPLIED, Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)


class RefusalReason(models.TextChoices):
    """Why an intake is not accepted [IN-4]."""

    EMERGENCY = "emergency", _("Emergency: call 110/119/120")
    OUTSIDE_JURISDICTION = "outside_jurisdiction", _("Outside the city's jurisdiction")
    LEGAL_PROCESS = "legal_process", _("Already in petition, arbitration, review or litigation")
    SECRET_PRIVACY = "secret_privacy", _("State or commercial secrets, or privacy")
    ABUSE_OR_VAGUE = "abuse_or_vague", _("Abusive, or too vague to act on")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class DurationUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("natural hours")
    DAYS = "days", _("natural days")
    WORKING_DAYS = "working_days", _("working days")
