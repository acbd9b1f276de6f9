"""Writes for surveys [CT-1][PUB-4]: set a survey up, draw its call list, record a call and its answers.

The sampling rule: the callers of tickets closed (closed, awaiting manual callback or completed) in the
window, in the area if one is chosen; one entry per distinct phone (reached through that phone's latest
closed ticket); a phone with any ticket still open is never called; the pool is ordered by phone and drawn
with `random.Random(seed)`, so the same seed on the same tickets draws the same list.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import DomainError
from dispatch import policy
from dispatch.choices import Status
from dispatch.exceptions import NotPermitted
from dispatch.models import Ticket

from .models import Answer, CallEntry, Question, Response, Survey

if TYPE_CHECKING:
    from grid.models import User

CLOSED_STATUSES = (Status.CLOSED, Status.CALLBACK_MANUAL, Status.ARCHIVED)
# Not open either: refused intakes never reached a unit.
NOT_OPEN_STATUSES = (*CLOSED_STATUSES, Status.REFUSED)
MAX_SAMPLE = 2000


class AlreadyRecorded(DomainError):
    code = "already_recorded"


class SurveyNotOpen(DomainError):
    code = "survey_not_open"


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotPermitted(message)


def create_survey(*, by: User, title: str, kind: str, opens_on: dt.date, closes_on: dt.date) -> Survey:
    _require(policy.may_run_surveys(by), _("Surveys are set up by the city center's dispatchers."))
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("A survey cannot close before it opens.")})
    return Survey.objects.create(
        title=title, kind=kind, opens_on=opens_on, closes_on=closes_on, office=by.office, created_by=by
    )


def update_survey(*, by: User, survey: Survey, title: str, kind: str, opens_on: dt.date, closes_on: dt.date) -> Survey:
    _require(policy.may_run_surveys(by), _("Surveys are set up by the city center's dispatchers."))
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("A survey cannot close before it opens.")})
    if kind != survey.kind and survey.entries.exists():
        raise ValidationError({"kind": _("The survey has a call list: its kind cannot change.")})
    survey.title, survey.kind, survey.opens_on, survey.closes_on = title, kind, opens_on, closes_on
    survey.save()
    return survey


def add_question(*, by: User, survey: Survey, text: str, kind: str, options: list[str], required: bool) -> Question:
    _require(policy.may_run_surveys(by), _("Surveys are set up by the city center's dispatchers."))
    options = [o.strip() for o in options if o.strip()]
    if kind == Question.Kind.CHOICE and len(options) < 2:
        raise ValidationError({"options": _("A single-choice question needs at least two options.")})
    if len(set(options)) != len(options):
        raise ValidationError({"options": _("Each option must be different.")})
    if kind != Question.Kind.CHOICE:
        options = []
    with transaction.atomic():
        last = Survey.objects.select_for_update().filter(pk=survey.pk).aggregate(m=Max("questions__position"))["m"]
        return Question.objects.create(
            survey=survey, position=(last or 0) + 1, text=text, kind=kind, options=options, required=required
        )


def remove_question(*, by: User, question: Question) -> None:
    _require(policy.may_run_surveys(by), _("Surveys are set up by the city center's dispatchers."))
    if question.answers.exists():
        raise AlreadyRecorded(_("This question has answers already and cannot be removed."))
    question.delete()


# -- the call list ---------------------------------------------------------------------------------


def _window(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def sample_pool(*, day_from: dt.date, day_to: dt.date, area_code: str = "") -> list[tuple[str, int]]:
    """(phone, latest closed ticket id) for each distinct phone eligible for the window and area, by phone."""
    start, end = _window(day_from, day_to)
    closed = Ticket.objects.filter(status__in=CLOSED_STATUSES, closed_at__gte=start, closed_at__lt=end).exclude(
        caller_phone=""
    )
    if area_code:
        closed = closed.filter(Q(county_code=area_code) | Q(township_code=area_code) | Q(community_code=area_code))
    still_open = Ticket.objects.exclude(status__in=NOT_OPEN_STATUSES).exclude(caller_phone="").values("caller_phone")
    closed = closed.exclude(caller_phone__in=still_open)
    # DISTINCT ON (caller_phone): each phone's latest closed ticket, in one query, ordered by phone.
    latest = closed.order_by("caller_phone", "-closed_at", "-id").distinct("caller_phone")
    return list(latest.values_list("caller_phone", "id"))


def draw_call_list(
    *, by: User, survey: Survey, day_from: dt.date, day_to: dt.date, size: int, area_code: str = "", seed=None
) -> list[CallEntry]:
    """[CT-1] Draw the survey's call list (a public-opinion survey, before any call is recorded)."""
    _require(policy.may_run_surveys(by), _("Call lists are drawn by the city center's dispatchers."))
    if survey.kind != Survey.Kind.PUBLIC_OPINION:
        raise ValidationError(_("Only a public-opinion survey has a call list; businesses answer on their phones."))
    if day_to < day_from:
        raise ValidationError({"day_to": _("The window ends before it starts.")})
    if not 1 <= size <= MAX_SAMPLE:
        raise ValidationError({"size": _("Draw between 1 and %(n)s callers.") % {"n": MAX_SAMPLE}})
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    pool = sample_pool(day_from=day_from, day_to=day_to, area_code=area_code)
    picked = random.Random(seed).sample(pool, min(size, len(pool)))
    counties = dict(Ticket.objects.filter(pk__in=[t for _p, t in picked]).values_list("pk", "county_code"))
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.entries.exclude(outcome="").exists():
            raise AlreadyRecorded(_("Calls have been recorded on this list already: it cannot be drawn again."))
        locked.entries.all().delete()
        entries = CallEntry.objects.bulk_create(
            CallEntry(survey=locked, ticket_id=t, position=i, county_code=counties.get(t, ""))
            for i, (_p, t) in enumerate(picked, start=1)
        )
        Survey.objects.filter(pk=survey.pk).update(
            sample_seed=seed, sample_from=day_from, sample_to=day_to, sample_area=area_code, sample_size=size
        )
    survey.refresh_from_db()
    return entries


# -- answers ------------------------------------------------------------------------------------------


def clean_answers(survey: Survey, raw: dict[int, str]) -> dict[Question, str | int]:
    """Check one set of answers (question id -> what was typed) against the questions; errors by question id."""
    errors: dict[str, list[str]] = {}
    clean: dict[Question, str | int] = {}
    for q in survey.questions.all():
        value = (raw.get(q.pk) or "").strip()
        if not value:
            if q.required:
                errors[f"q{q.pk}"] = [_("Please answer: %(q)s") % {"q": q.text}]
            continue
        if q.kind == Question.Kind.CHOICE and value not in q.options:
            errors[f"q{q.pk}"] = [_("“%(v)s” is not one of the options of: %(q)s") % {"v": value, "q": q.text}]
        elif q.kind == Question.Kind.SCALE:
            if not value.isdigit() or not 1 <= int(value) <= 5:
                errors[f"q{q.pk}"] = [_("Answer %(q)s on the scale from 1 to 5.") % {"q": q.text}]
            else:
                clean[q] = int(value)
        else:
            clean[q] = value[:2000]
    if errors:
        raise ValidationError(errors)
    return clean


def _save_answers(response: Response, answers: dict[Question, str | int]) -> None:
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=q,
            choice=v if q.kind == Question.Kind.CHOICE else "",
            scale=v if q.kind == Question.Kind.SCALE else None,
            text=v if q.kind == Question.Kind.TEXT else "",
        )
        for q, v in answers.items()
    )


def record_call(*, by: User, entry: CallEntry, outcome: str, answers: dict[int, str]) -> CallEntry:
    """[CT-1] One call of the list: its outcome and, if the caller was reached, their answers. An entry is
    answered once: a second submission changes nothing and says so (AlreadyRecorded, 409)."""
    _require(policy.may_work_call_lists(by), _("The call list is worked by the city center's seats."))
    survey = entry.survey
    if not survey.opens_on <= timezone.localdate() <= survey.closes_on:
        raise SurveyNotOpen(
            _("The survey is open from %(a)s to %(b)s: no call is recorded outside those days.")
            % {"a": survey.opens_on, "b": survey.closes_on}
        )
    if outcome not in CallEntry.Outcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the call.")})
    clean = clean_answers(entry.survey, answers) if outcome == CallEntry.Outcome.REACHED else {}
    with transaction.atomic():
        locked = CallEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.outcome:
            raise AlreadyRecorded(
                _("This call has been recorded already (%(o)s).") % {"o": locked.get_outcome_display()}
            )
        locked.outcome, locked.recorded_by, locked.recorded_at = outcome, by, timezone.now()
        locked.save(update_fields=["outcome", "recorded_by", "recorded_at"])
        if outcome == CallEntry.Outcome.REACHED:
            response = Response.objects.create(survey=locked.survey, entry=locked, county_code=locked.county_code)
            _save_answers(response, clean)
    return locked
