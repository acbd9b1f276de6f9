"""Reads for surveys: the lists a user may see and a survey's results (figures only: no caller's name or phone)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db.models import Avg, Count, QuerySet
from django.utils.translation import gettext as _

from dispatch import policy
from grid.models import Area, Level

from .models import CallEntry, Question, Survey


def surveys_for(user) -> QuerySet[Survey]:
    """The surveys this user may open: the city's, for the city center's runners and seats; none otherwise."""
    if policy.may_open_surveys(user):
        return Survey.objects.all()
    return Survey.objects.none()


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    options: list[tuple[str, int, int]] = field(default_factory=list)  # option, count, percent of answered
    mean: float | None = None
    scale: list[tuple[int, int, int]] = field(default_factory=list)  # 1..5, count, percent
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    survey: Survey
    entries: int
    reached: int
    not_reached: int
    refused: int
    responses: int
    questions: list[QuestionResult]
    counties: list[dict]

    @property
    def response_rate(self) -> int | None:
        """Responses as a percent of the call list (None without a list: a business survey)."""
        return round(100 * self.responses / self.entries) if self.entries else None


def _pct(n: int, total: int) -> int:
    return round(100 * n / total) if total else 0


def county_names() -> dict[str, str]:
    return dict(Area.objects.current().filter(level=Level.COUNTY).values_list("code", "name"))


def results(survey: Survey) -> Results:
    outcomes = dict(survey.entries.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    entries = sum(outcomes.values())
    questions = []
    scale_q = None  # the first scale question: the counties' mean
    for q in survey.questions.all():
        answers = q.answers.all()
        r = QuestionResult(question=q, answered=answers.count())
        if q.kind == Question.Kind.CHOICE:
            counts = dict(answers.values_list("choice").annotate(n=Count("id")).values_list("choice", "n"))
            r.options = [(o, counts.get(o, 0), _pct(counts.get(o, 0), r.answered)) for o in q.options]
        elif q.kind == Question.Kind.SCALE:
            counts = dict(answers.values_list("scale").annotate(n=Count("id")).values_list("scale", "n"))
            r.scale = [(v, counts.get(v, 0), _pct(counts.get(v, 0), r.answered)) for v in range(1, 6)]
            scale_q = scale_q or q
            mean = answers.aggregate(m=Avg("scale"))["m"]
            r.mean = round(mean, 2) if mean is not None else None
        else:
            r.texts = list(answers.order_by("-id").values_list("text", flat=True)[:50])
        questions.append(r)
    names = county_names()
    by_entry = {row["county_code"]: row["n"] for row in survey.entries.values("county_code").annotate(n=Count("id"))}
    by_response = {row["county_code"]: row for row in survey.responses.values("county_code").annotate(n=Count("id"))}
    means = {}
    if scale_q is not None:
        means = {
            row["response__county_code"]: round(row["m"], 2)
            for row in scale_q.answers.values("response__county_code").annotate(m=Avg("scale"))
        }
    counties = [
        {
            "code": code,
            "name": names.get(code, code or _("unknown")),
            "entries": by_entry.get(code, 0),
            "responses": by_response.get(code, {}).get("n", 0),
            "rate": _pct(by_response.get(code, {}).get("n", 0), by_entry.get(code, 0)) if by_entry.get(code) else None,
            "mean": means.get(code),
        }
        for code in sorted(set(by_entry) | set(by_response))
    ]
    return Results(
        survey=survey,
        entries=entries,
        reached=outcomes.get(CallEntry.Outcome.REACHED, 0),
        not_reached=outcomes.get(CallEntry.Outcome.NOT_REACHED, 0),
        refused=outcomes.get(CallEntry.Outcome.REFUSED, 0),
        responses=survey.responses.count(),
        questions=questions,
        counties=counties,
    )


def results_csv(res: Results) -> str:
    """The figures as CSV: the call list, each question's counts, the counties. Never a name or a phone."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([_("survey"), res.survey.title])
    w.writerow([_("call list"), res.entries, _("reached"), res.reached, _("not reached"), res.not_reached])
    w.writerow([_("refused"), res.refused, _("responses"), res.responses, _("response rate %"), res.response_rate])
    w.writerow([])
    w.writerow([_("question"), _("answer"), _("count"), _("percent")])
    for r in res.questions:
        for option, n, pct in r.options:
            w.writerow([r.question.text, option, n, pct])
        for value, n, pct in r.scale:
            w.writerow([r.question.text, value, n, pct])
        if r.mean is not None:
            w.writerow([r.question.text, _("mean"), r.mean, ""])
    w.writerow([])
    w.writerow([_("county"), _("code"), _("call list"), _("responses"), _("response rate %"), _("mean scale")])
    for c in res.counties:
        w.writerow([c["name"], c["code"], c["entries"], c["responses"], c["rate"], c["mean"]])
    return out.getvalue()
