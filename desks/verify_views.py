"""The callback desk's verifying callbacks (回访复核) [AR-5] and its monthly monitoring [CB-3].

The same rules as the other desks (desks.views.desk_required): a center's dispatcher, else 403; a ticket or
a verifying callback outside the desk's tickets is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api import DomainError
from core.forms import apply_service_error
from dispatch.exceptions import TicketNotFound
from dispatch.selectors import caller_for

from . import monitoring, selectors, verification
from .verify_forms import FlagForm, OutcomeForm
from .views import _render, desk_required


def _page(request, flag_form=None, bound: dict | None = None, status: int = 200, error: str = ""):
    user = request.user
    page = Paginator(verification.queue(user), selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    bound = bound or {}
    rows = [
        {
            "item": item,
            "caller": caller_for(user, item.ticket),
            "reply": verification.reply_of(item),
            "form": bound.get(item.pk) or OutcomeForm(prefix=f"v{item.pk}"),
        }
        for item in page
    ]
    if flag_form is None:
        initial = {"unit": request.GET.get("unit", ""), "tickets": request.GET.get("ticket", "")}
        if request.GET.get("signal"):
            initial["source"] = "signal"
            initial["reason"] = request.GET.get("signal", "")[:300]
        flag_form = FlagForm(initial=initial)
    return _render(
        request,
        "desks/verify.html",
        {
            "page": page,
            "rows": rows,
            "flag_form": flag_form,
            "signals": verification.signals(user),
            "findings": verification.findings(user)[:20],
            "cases": verification.cases(user)[:10],
            "window": verification.WINDOW_DAYS,
            "signal_min": verification.SIGNAL_MIN,
            "signal_share": round(verification.SIGNAL_SHARE * 100),
            "offices": selectors.office_choices(),
            "error": error,
        },
        tab="callbacks",
        status=status,
    )


@require_GET
@desk_required
def verify_desk(request):
    """[AR-5] The units the system suspects, the form to flag one, the verifying-callback queue, the findings."""
    return _page(request)


@require_POST
@desk_required
def open_case(request):
    """[AR-5] Flag a unit (or tickets) as suspected of false reports: its verifying callbacks join the queue."""
    form = FlagForm(request.POST)
    if not form.is_valid():
        return _page(request, flag_form=form, status=400)
    try:
        case = verification.open_case(by=request.user, **form.cleaned_data)
    except TicketNotFound as e:
        raise Http404(e.message) from None
    except (ValidationError, DomainError) as e:
        return _page(request, flag_form=form, status=apply_service_error(form, e))
    messages.success(
        request,
        _("%(unit)s flagged: %(n)s verifying callbacks queued (sample seed %(seed)s).")
        % {"unit": case.unit.name, "n": case.callbacks.count(), "seed": case.seed},
    )
    return redirect("desks:verify")


@require_POST
@desk_required
def record_outcome(request, pk: int):
    """[AR-5] What one verifying callback found; a false reply goes back to rework [SLA-4]."""
    item = get_object_or_404(verification.scoped(request.user), pk=pk)
    form = OutcomeForm(request.POST, prefix=f"v{item.pk}")
    status = 400
    if form.is_valid():
        try:
            done = verification.record_outcome(by=request.user, callback=item, **form.cleaned_data)
        except TicketNotFound:
            raise Http404 from None
        except (ValidationError, DomainError) as e:
            status = apply_service_error(form, e)
        else:
            text = _("%(number)s: %(outcome)s.") % {"number": item.ticket.number, "outcome": done.get_outcome_display()}
            if done.reworked:
                text += " " + _("The ticket is back with the unit for rework within 5 working days.")
            messages.success(request, text)
            return redirect("desks:verify")
    error = " ".join(str(m) for errs in form.errors.values() for m in errs)
    return _page(request, bound={item.pk: form}, status=status, error=f"{item.ticket.number}: {error}")


@require_GET
@desk_required
def monthly_monitoring(request):
    """[CB-3] Per unit for a month: callbacks, reached, satisfaction, evaluator agreement, verifying callbacks
    and false replies found; `?format=csv` for the file."""
    period = request.GET.get("month", "")
    try:
        year, month = monitoring.parse_month(period)
    except ValueError as e:
        return HttpResponseBadRequest(str(e))
    fmt = request.GET.get("format", "")
    if fmt not in ("", "csv"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use csv.") % {"fmt": fmt})
    rows = monitoring.month_rows(request.user, year, month)
    label = f"{year:04d}-{month:02d}"
    if fmt == "csv":
        response = HttpResponse("\ufeff" + monitoring.as_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="callback-monitoring-{label}.csv"'
        return response
    return _render(
        request,
        "desks/verify_monitoring.html",
        {"rows": rows, "period": label, "totals": monitoring.totals(rows), "months": monitoring.recent_months()},
        tab="callbacks",
    )
