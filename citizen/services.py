"""The citizen's side: one-time codes to a phone, a report from the phone, the rating of the reply.

Every write a citizen makes goes through here; the pages (citizen.views) only read the form and call.
Limits are counted by core.ratelimit, shared by every server process [issue 16 §6]:

- a code to one phone at most once a minute and 5 times an hour; 20 codes an hour from one IP address;
- 10 code attempts per phone in 10 minutes, 5 per code (then the code is dead);
- 20 reports an hour from one IP address; 10 reports a day from one phone;
- past 3 reports in 24 hours from one phone, a report is still taken but held for a person
  (the manual dispatch queue, with the reason) instead of being routed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citizen import credit_code
from citizen.models import CitizenReport, PhoneCode
from core import ratelimit
from core.photos import CleanPhoto
from dispatch import policy
from dispatch.exceptions import IdempotencyConflict
from dispatch.gateways import gateway
from dispatch.models import Channel, Kind, OutboundMessage, Ticket
from dispatch.services import IntakeData, IntakeResult, add_caller_photo, intake_ticket, record_citizen_rating
from dispatch.texts import site_text

logger = logging.getLogger(__name__)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = dt.timedelta(minutes=5)
MAX_ATTEMPTS_PER_CODE = 5
VERIFIED_FOR = dt.timedelta(minutes=30)  # a verified phone stays verified in this browser for this long

# (limit, window seconds) of each counted action, overridable with settings.CITIZEN_LIMITS.
LIMITS = {
    "code_phone_minute": (1, 60),
    "code_phone_hour": (5, 3600),
    "code_ip_hour": (20, 3600),
    "verify_phone": (10, 600),
    "report_ip_hour": (20, 3600),
    "report_phone_day": (10, 86400),
    "lookup_ip_hour": (30, 3600),
    "lookup_number_hour": (5, 3600),
}
FLOOD_REPORTS_PER_DAY = 3  # more than this from one phone in 24 hours: held for a person
DEFAULT_MIN_CATEGORY_SCORE = 0.35  # below this the classifier's best guess is no category (manual queue)


class CitizenError(Exception):
    """A request the citizen must change or retry: `message` says what to do; `status` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 400, retry_after: int | None = None, field: str = ""):
        super().__init__(message)
        self.message, self.status, self.retry_after, self.field = message, status, retry_after, field


def limit(name: str) -> tuple[int, int]:
    return {**LIMITS, **getattr(settings, "CITIZEN_LIMITS", {})}[name]


def check_limit(name: str, who: str) -> None:
    """Count one `name` action of `who`; CitizenError 429 past the limit."""
    n, seconds = limit(name)
    verdict = ratelimit.hit(f"citizen:{name}:{who}", limit=n, seconds=seconds)
    if not verdict.allowed:
        raise CitizenError(
            _("Too many attempts. Please try again in %(minutes)s minutes.")
            % {"minutes": max(1, round(verdict.retry_after / 60))},
            status=429,
            retry_after=verdict.retry_after,
        )


# -- phones and codes ---------------------------------------------------------------------------


def normalize_phone(raw: str) -> str:
    """An 11-digit mainland mobile number from what was typed (+86, spaces, dashes allowed); CitizenError otherwise."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    digits = re.sub(r"^(\+?86|0086)", "", digits)
    if not PHONE_RE.match(digits):
        raise CitizenError(_("Enter an 11-digit mobile phone number."), field="phone")
    return digits


def phone_key(phone: str) -> str:
    """A keyed digest of a phone number: looked up, never read back."""
    return hmac.new(settings.SECRET_KEY.encode(), f"phone:{phone}".encode(), hashlib.sha256).hexdigest()


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(*, phone: str, ip: str) -> PhoneCode:
    """[IN-2] A 6-digit code by SMS through the message gateway; limited per phone and per IP address."""
    phone = normalize_phone(phone)
    check_limit("code_phone_minute", phone)
    check_limit("code_phone_hour", phone)
    check_limit("code_ip_hour", ip)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        key = phone_key(phone)
        PhoneCode.objects.filter(phone_key=key, used_at__isnull=True).update(used_at=now)  # one live code a phone
        row = PhoneCode.objects.create(
            phone_key=key, code_hash=_code_hash(phone, code), created_at=now, expires_at=now + CODE_TTL
        )
        gateway().send(
            medium=OutboundMessage.Medium.SMS,
            purpose="citizen_code",
            to_number=phone,
            text=site_text(
                gettext_noop(
                    "[Pingdingshan 12345] Your code is %(code)s, valid for 5 minutes. Do not tell it to anyone."
                ),
                code=code,
            ),
        )
    return row


def verify_code(*, phone: str, code: str) -> str:
    """The normalized phone when `code` is its live code; CitizenError otherwise (each try counts)."""
    phone = normalize_phone(phone)
    check_limit("verify_phone", phone)
    code = (code or "").strip()
    wrong = CitizenError(_("The code is wrong or has expired. Ask for a new one."), field="code")
    with transaction.atomic():  # the attempt is counted even when the code is wrong: raise after the commit
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone_key=phone_key(phone), used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise wrong
        row.attempts += 1
        right = hmac.compare_digest(row.code_hash, _code_hash(phone, code))
        if right or row.attempts >= MAX_ATTEMPTS_PER_CODE:
            row.used_at = timezone.now()  # used, or dead after too many tries
        row.save(update_fields=["attempts", "used_at"])
    if not right:
        raise wrong
    return phone


# -- the report ---------------------------------------------------------------------------------


@dataclass
class Report:
    """What the citizen filled in on /m/."""

    description: str
    phone: str  # verified
    name: str = ""
    kind: str = Kind.HELP
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    public: bool = False
    is_business: bool = False
    business_name: str = ""
    credit_code: str = ""


def classify(text: str) -> tuple[str, float | None]:
    """The classifier's category for a text when it is sure enough, else "" (the manual queue)."""
    try:
        from classify.services import suggest_categories

        best = suggest_categories(text, k=1)
    except Exception:  # a classifier fault must not lose a report: a person classifies it
        logger.exception("classifier failed on a citizen's report")
        return "", None
    if not best:
        return "", None
    threshold = getattr(settings, "CITIZEN_MIN_CATEGORY_SCORE", DEFAULT_MIN_CATEGORY_SCORE)
    score = best[0]["score"]
    return (best[0]["code"] if score >= threshold else ""), score


def recent_reports(phone: str, *, hours: int = 24) -> int:
    since = timezone.now() - dt.timedelta(hours=hours)
    return CitizenReport.objects.filter(phone_key=phone_key(phone), received_at__gte=since).count()


def submit_report(*, report: Report, photos: list[CleanPhoto], ip: str, idempotency_key: str) -> IntakeResult:
    """[IN-1] The citizen's report enters the one intake of every channel, as channel "h5".

    A retry of the same form (the same Idempotency-Key) returns the first ticket. The classifier
    picks the category when sure enough, else none: the ticket waits for a dispatcher, as one that
    cannot be placed does. A flood from one phone is taken but held for a person.
    """
    key = f"h5:{idempotency_key}" if idempotency_key else None
    if key:
        existing = Ticket.objects.filter(idempotency_key=key).first()
        if existing is not None:  # a retry: no limit counted, nothing added
            if existing.description != report.description.strip() or existing.caller_phone != report.phone:
                raise IdempotencyConflict(
                    _("This form was already sent with other content (request %(number)s).")
                    % {"number": existing.number},
                    ticket=existing.number,
                )
            return IntakeResult(existing, created=False)
    if report.is_business:
        report.credit_code = credit_code.normalize(report.credit_code)
        if not credit_code.is_valid(report.credit_code):
            raise CitizenError(
                _("The unified social credit code is not valid: check its 18 characters."), field="credit_code"
            )
        if not report.business_name.strip():
            raise CitizenError(_("Give the business's name."), field="business_name")
    check_limit("report_ip_hour", ip)
    check_limit("report_phone_day", report.phone)
    hold = ""
    recent = recent_reports(report.phone)
    if recent >= FLOOD_REPORTS_PER_DAY:
        hold = site_text(gettext_noop("held for a person: %(n)s reports from this phone in 24 hours"), n=recent + 1)
    category, score = classify(report.description)
    data = IntakeData(
        channel=Channel.H5,
        kind=report.kind,
        description=report.description.strip(),
        category=category,
        address=report.address.strip(),
        lon=report.lon,
        lat=report.lat,
        caller_name=report.name.strip(),
        caller_phone=report.phone,
        hold_reason=hold,
        extra={
            "citizen": {
                "public": report.public,
                "business": report.is_business,
                "category_score": score,
                "photos": len(photos),
            }
        },
    )
    with transaction.atomic():
        result = intake_ticket(data=data, idempotency_key=key)
        if result.created:
            CitizenReport.objects.create(
                ticket=result.ticket,
                is_business=report.is_business,
                business_name=report.business_name.strip()[:100] if report.is_business else "",
                credit_code=report.credit_code if report.is_business else "",
                phone_key=phone_key(report.phone),
                received_at=result.ticket.received_at,
                county_code=result.ticket.county_code,
                township_code=result.ticket.township_code,
                held_reason=hold,
            )
            if report.public:  # the caller's choice, kept on the ticket: the public record and Open311 read it there
                Ticket.objects.filter(pk=result.ticket.pk).update(is_public=True)
            for photo in photos:
                add_caller_photo(ticket=result.ticket, photo=photo)
    return result


# -- the rating ---------------------------------------------------------------------------------


def rate(*, ticket: Ticket, phone: str, satisfaction: str, comment: str = "") -> Ticket:
    """[CB-1][CB-2] The caller rates the accepted reply; unsatisfied sends it to rework [SLA-4]."""
    if not policy.caller_may_rate(ticket, phone):
        raise CitizenError(_("This request cannot be rated now."), status=409)
    return record_citizen_rating(ticket=ticket, satisfaction=satisfaction, note=comment.strip()[:500])
