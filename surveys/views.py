"""The survey pages under /surveys/ [CT-1][PUB-4]: the list and set-up, the call list, the results.

Every view asks dispatch.policy: no session is the log-in page; a user the policy refuses is a 403; a survey
this user may not open is a 404. Bad input answers 400 with the page and what was typed.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api import DomainError
from core.forms import apply_service_error
from dispatch import policy
from dispatch.selectors import caller_for

from . import selectors, services
from .forms import CallForm, DrawForm, QuestionForm, SurveyForm
from .models import CallEntry, Question, Survey

PAGE_SIZE = 25


def allowed(check):
    """Logged in (else the log-in page) and `check(user)` (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(_("Surveys are run by the city center."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _survey(request, pk: int) -> Survey:
    return get_object_or_404(selectors.surveys_for(request.user), pk=pk)


# -- list and set-up ---------------------------------------------------------------------------------


def _index(request, form=None, status=200):
    return render(
        request,
        "surveys/index.html",
        {
            "surveys": selectors.surveys_for(request.user),
            "form": form or SurveyForm(),
            "may_run": policy.may_run_surveys(request.user),
        },
        status=status,
    )


@require_GET
@allowed(policy.may_open_surveys)
def index(request):
    return _index(request)


@require_POST
@allowed(policy.may_run_surveys)
def create(request):
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _index(request, form, 400)
    try:
        survey = services.create_survey(by=request.user, **form.cleaned_data)
    except (ValidationError, DomainError) as e:
        return _index(request, form, apply_service_error(form, e))
    messages.success(request, _("Survey created: now add its questions."))
    return redirect("surveys:edit", pk=survey.pk)


def _edit(request, survey, *, form=None, question_form=None, draw_form=None, status=200):
    return render(
        request,
        "surveys/edit.html",
        {
            "survey": survey,
            "page_tab": "edit",
            "form": form or SurveyForm(instance=survey),
            "question_form": question_form or QuestionForm(),
            "draw_form": draw_form or DrawForm(),
            "questions": survey.questions.all(),
            "entries": survey.entries.count(),
        },
        status=status,
    )


@require_GET
@allowed(policy.may_run_surveys)
def edit(request, pk: int):
    return _edit(request, _survey(request, pk))


@require_POST
@allowed(policy.may_run_surveys)
def update(request, pk: int):
    survey = _survey(request, pk)
    form = SurveyForm(request.POST, instance=Survey.objects.get(pk=pk))
    if not form.is_valid():
        return _edit(request, survey, form=form, status=400)
    try:
        services.update_survey(by=request.user, survey=survey, **form.cleaned_data)
    except (ValidationError, DomainError) as e:
        return _edit(request, survey, form=form, status=apply_service_error(form, e))
    messages.success(request, _("Survey saved."))
    return redirect("surveys:edit", pk=pk)


@require_POST
@allowed(policy.may_run_surveys)
def add_question(request, pk: int):
    survey = _survey(request, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _edit(request, survey, question_form=form, status=400)
    try:
        services.add_question(by=request.user, survey=survey, **form.cleaned_data)
    except (ValidationError, DomainError) as e:
        return _edit(request, survey, question_form=form, status=apply_service_error(form, e))
    messages.success(request, _("Question added."))
    return redirect("surveys:edit", pk=pk)


@require_POST
@allowed(policy.may_run_surveys)
def remove_question(request, pk: int, question: int):
    survey = _survey(request, pk)
    q = get_object_or_404(Question, survey=survey, pk=question)
    try:
        services.remove_question(by=request.user, question=q)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("surveys:edit", pk=pk)


@require_POST
@allowed(policy.may_run_surveys)
def draw(request, pk: int):
    survey = _survey(request, pk)
    form = DrawForm(request.POST)
    if not form.is_valid():
        return _edit(request, survey, draw_form=form, status=400)
    try:
        entries = services.draw_call_list(by=request.user, survey=survey, **form.cleaned_data)
    except (ValidationError, DomainError) as e:
        return _edit(request, survey, draw_form=form, status=apply_service_error(form, e))
    messages.success(
        request,
        _("%(n)s callers drawn (seed %(seed)s).") % {"n": len(entries), "seed": survey.sample_seed},
    )
    return redirect("surveys:calls", pk=pk)


# -- the call list ------------------------------------------------------------------------------------


def _calls(request, survey, *, bound=None, status=200, error=""):
    user = request.user
    entries = survey.entries.select_related("ticket", "recorded_by").prefetch_related("ticket__assignments")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    bound = bound or {}
    rows = [
        {
            "entry": e,
            # The caller as policy shows them to this user (masked where it does not) [IN-2].
            "caller": caller_for(user, e.ticket),
            "form": bound.get(e.pk) or (None if e.outcome else CallForm(survey=survey, prefix=f"e{e.pk}")),
        }
        for e in page
    ]
    done = survey.entries.exclude(outcome="").count()
    return render(
        request,
        "surveys/calls.html",
        {"survey": survey, "page_tab": "calls", "page": page, "rows": rows, "done": done, "error": error},
        status=status,
    )


@require_GET
@allowed(policy.may_work_call_lists)
def calls(request, pk: int):
    return _calls(request, _survey(request, pk))


@require_POST
@allowed(policy.may_work_call_lists)
def record(request, pk: int, entry: int):
    survey = _survey(request, pk)
    item = get_object_or_404(CallEntry.objects.select_related("ticket"), survey=survey, pk=entry)
    form = CallForm(request.POST, survey=survey, prefix=f"e{item.pk}")
    status = 400
    if form.is_valid():
        try:
            services.record_call(
                by=request.user, entry=item, outcome=form.cleaned_data["outcome"], answers=form.raw_answers()
            )
        except (ValidationError, DomainError) as e:
            status = apply_service_error(form, e)
        else:
            messages.success(request, _("Call %(n)s recorded.") % {"n": item.position})
            return redirect(f"{reverse('surveys:calls', args=[pk])}?page={request.GET.get('page', 1)}#e{item.pk}")
    error = " ".join(str(m) for errs in form.errors.values() for m in errs)
    return _calls(request, survey, bound={item.pk: form}, status=status, error=f"#{item.position}: {error}")


# -- results --------------------------------------------------------------------------------------------


@require_GET
@allowed(policy.may_read_survey_results)
def results(request, pk: int):
    survey = _survey(request, pk)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "csv"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use csv.") % {"fmt": fmt})
    res = selectors.results(survey)
    if fmt == "csv":
        response = HttpResponse("\ufeff" + selectors.results_csv(res), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-results.csv"'
        return response
    return render(request, "surveys/results.html", {"survey": survey, "page_tab": "results", "res": res})
