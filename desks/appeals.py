"""The desks' side of [AR-5]: the city center's appeals queue, the second rulings on disputed returns, and the
unit's page for disputing a refused return.

- `/desks/appeals/`: appeals against a deduction, the open ones first (oldest first), each with the
  uphold/reject form; the city center's dispatchers only (dispatch.policy.may_rule_on_appeals), 403 otherwise.
- `/desks/disputes/`: the disputed returns of the desk's tickets (dispatch.policy.desk_filter); the second
  ruling's form for an administrator of the ticket's center who did not refuse the return.
- `/desks/returns/`: the unit's refused returns it may still dispute, and its disputes with their rulings.

The services (assessment.appeals, assessment.disputes) decide; a refused action is answered with its
message (4xx), an appeal or dispute outside the user's scope is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment.appeals import rule_appeal
from assessment.disputes import HOLDING, dispute_return, rule_return_dispute
from assessment.models import Appeal, ReturnDispute
from core.api import DomainError
from dispatch import policy
from dispatch.models import Assignment, TicketEvent

from . import selectors
from .forms_appeals import AppealRulingForm, DisputeForm, DisputeRulingForm
from .views import _render, desk_required


def _message(error: Exception) -> tuple[str, int]:
    if isinstance(error, ValidationError):
        return " ".join(error.messages), 400
    return error.message, error.status_code


def _require_appeal_ruler(request) -> None:
    if not policy.may_rule_on_appeals(request.user):
        raise PermissionDenied(_("Appeals are ruled by the dispatchers of the city command center."))


def _appeals_page(request, *, bound: dict | None = None, status: int = 200):
    from assessment.views import COST_LABELS  # the metric names the drill-down uses

    appeals = Appeal.objects.select_related("unit", "ticket", "filed_by", "ruled_by")
    open_ = appeals.filter(state=Appeal.State.OPEN).order_by("filed_at", "id")
    bound = bound or {}
    rows = [
        {"appeal": a, "metric": COST_LABELS.get(a.metric, a.metric), "form": bound.get(a.pk) or AppealRulingForm()}
        for a in open_[:100]
    ]
    ruled = [
        {"appeal": a, "metric": COST_LABELS.get(a.metric, a.metric)}
        for a in appeals.exclude(state=Appeal.State.OPEN).order_by("-ruled_at", "-id")[:30]
    ]
    return _render(
        request,
        "desks/appeals.html",
        {"rows": rows, "open_total": open_.count(), "ruled": ruled},
        tab="appeals",
        status=status,
    )


@require_GET
@desk_required
def appeals_desk(request):
    """[AR-5] The appeals against deductions awaiting the city center's ruling, and the latest rulings."""
    _require_appeal_ruler(request)
    return _appeals_page(request)


@require_POST
@desk_required
def appeal_rule(request, pk: int):
    """[AR-5] Uphold or reject one appeal, with the grounds."""
    _require_appeal_ruler(request)
    appeal = get_object_or_404(Appeal, pk=pk)
    form = AppealRulingForm(request.POST)
    if form.is_valid():
        try:
            rule_appeal(
                appeal=appeal,
                by=request.user,
                uphold=form.cleaned_data["decision"] == "uphold",
                reason=form.cleaned_data["ruling"],
            )
        except (ValidationError, DomainError) as e:
            text, status = _message(e)
            form.add_error(None, text)
            return _appeals_page(request, bound={appeal.pk: form}, status=status)
        messages.success(request, _("Appeal ruled on; the month's figures are revised if it was upheld."))
        return redirect("desks:appeals")
    return _appeals_page(request, bound={appeal.pk: form}, status=400)


# -- disputed returns: the second ruling -------------------------------------------------------------------


def _disputes(request):
    return ReturnDispute.objects.filter(ticket__in=policy.desk_tickets(request.user)).select_related(
        "ticket", "assignment__office", "assignment__suggested_office", "refused_by", "filed_by", "ruled_by"
    )


def _disputes_page(request, *, bound: dict | None = None, status: int = 200):
    disputes = _disputes(request)
    bound = bound or {}
    rows = []
    for d in disputes.filter(state=ReturnDispute.State.OPEN).order_by("filed_at", "id")[:100]:
        may = policy.may_rule_return_dispute(request.user, d.ticket) and d.refused_by_id != request.user.pk
        rows.append({"dispute": d, "form": (bound.get(d.pk) or DisputeRulingForm()) if may else None})
    ruled = disputes.exclude(state=ReturnDispute.State.OPEN).order_by("-ruled_at", "-id")[:30]
    return _render(request, "desks/disputes.html", {"rows": rows, "ruled": ruled}, tab="disputes", status=status)


@require_GET
@desk_required
def disputes_desk(request):
    """[AR-5] Disputed refusals of returns awaiting the second ruling, and the latest second rulings."""
    return _disputes_page(request)


@require_POST
@desk_required
def dispute_rule(request, pk: int):
    """[AR-5] The second, final ruling on one disputed return: overturn or confirm."""
    dispute = get_object_or_404(_disputes(request), pk=pk)
    form = DisputeRulingForm(request.POST)
    if form.is_valid():
        try:
            rule_return_dispute(
                dispute=dispute,
                by=request.user,
                overturn=form.cleaned_data["decision"] == "overturn",
                ruling=form.cleaned_data["ruling"],
            )
        except (ValidationError, DomainError) as e:
            text, status = _message(e)
            form.add_error(None, text)
            return _disputes_page(request, bound={dispute.pk: form}, status=status)
        messages.success(request, _("Second ruling given."))
        return redirect("desks:disputes")
    return _disputes_page(request, bound={dispute.pk: form}, status=400)


# -- the unit's side: dispute a refused return --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def unit_returns(request):
    """[AR-5] The unit's refused returns it may still dispute (once each), and its disputes with their rulings."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.office_id is None:
        raise PermissionDenied(_("Your account belongs to no office."))
    office_id = request.user.office_id
    refused = (
        Assignment.objects.filter(
            office_id=office_id, is_active=True, state__in=HOLDING, return_requested_at__isnull=False
        )
        .exclude(return_dispute__isnull=False)
        .select_related("ticket", "suggested_office")
        .order_by("-return_requested_at")[:50]
    )
    refusals = {
        e.data.get("assignment"): e
        for e in TicketEvent.objects.filter(
            action="refuse_return", ticket_id__in=[a.ticket_id for a in refused]
        ).order_by("at", "id")
    }
    errors, status = {}, 200
    if request.method == "POST":
        try:
            assignment_id = int(request.POST.get("assignment", ""))
        except ValueError:
            raise Http404(_("No such return.")) from None
        assignment = get_object_or_404(Assignment, pk=assignment_id, office_id=office_id)
        form = DisputeForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors["reason"])
            dispute_return(assignment=assignment, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, DomainError) as e:
            errors[assignment.pk], status = _message(e)
        else:
            messages.success(request, _("Dispute sent: the center's administrator gives the second ruling."))
            return redirect("desks:unit-returns")
    rows = [
        {"assignment": a, "refusal": refusals[a.pk], "error": errors.get(a.pk)} for a in refused if a.pk in refusals
    ]
    disputes = ReturnDispute.objects.filter(assignment__office_id=office_id).select_related("ticket", "ruled_by")
    page = Paginator(disputes, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    if status != 200 and not any(r["error"] for r in rows):  # the return is gone from the list: say why anyway
        messages.error(request, next(iter(errors.values())))
    return render(request, "desks/unit_returns.html", {"rows": rows, "page": page, "errors": errors}, status=status)
