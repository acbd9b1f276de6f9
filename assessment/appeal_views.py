"""The unit's appeal against one deduction [AR-5]: `/assessment/<yyyy-mm>/unit/<office>/appeal/?assignment=&metric=`.

GET shows the deduction (ticket, metric, points) and the form; POST files it (assessment.appeals.file_appeal)
and goes back to the drill-down, which lists the unit's appeals with their state. Only the unit's own
staff (dispatch.policy.may_appeal): 403 for anyone else, 404 for a deduction the unit does not have.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessment.appeals import appeal_deadline, file_appeal
from assessment.forms import AppealForm
from assessment.metrics import COSTS, ranked_unit
from assessment.views import COST_LABELS, not_found_with_message, parse_period
from core.api import DomainError
from dispatch import policy
from dispatch.models import Assignment


@login_required
@not_found_with_message
@require_http_methods(["GET", "POST"])
def appeal_deduction(request: HttpRequest, period: str, office: str) -> HttpResponse:
    try:
        unit_id = int(office)
    except ValueError:
        raise Http404(_("No office %(id)s: the office id is a number.") % {"id": office}) from None
    if not policy.may_appeal(request.user, unit_id):
        raise PermissionDenied(_("Only the unit's own staff may appeal its deductions."))
    year, month = parse_period(period)
    source = request.POST if request.method == "POST" else request.GET
    metric = source.get("metric", "")
    try:
        assignment = Assignment.objects.select_related("ticket", "office").get(pk=int(source.get("assignment", "")))
    except (ValueError, Assignment.DoesNotExist):
        raise Http404(_("No such deduction: pick the ticket from the unit's drill-down.")) from None
    found = ranked_unit(unit_id)
    if found is None or assignment.office_id not in found[2]:
        raise Http404(_("No such deduction: pick the ticket from the unit's drill-down."))
    if metric not in COSTS:
        raise Http404(_("No such metric: %(metric)s.") % {"metric": metric})
    form = AppealForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                file_appeal(
                    by=request.user,
                    unit_id=unit_id,
                    year=year,
                    month=month,
                    assignment_id=assignment.pk,
                    metric=metric,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as e:
                form.add_error("reason" if "reason" in getattr(e, "message_dict", {}) else None, e.messages)
            except DomainError as e:
                form.add_error(None, e.message)
                status = e.status_code
            else:
                messages.success(request, _("Appeal filed: the city command center will rule on it."))
                return redirect(f"/assessment/{period}/unit/{unit_id}/#appeals")
    return render(
        request,
        "assessment/appeal.html",
        {
            "period": f"{year}-{month:02d}",
            "unit_id": unit_id,
            "assignment": assignment,
            "metric": metric,
            "metric_label": COST_LABELS[metric],
            "deadline": appeal_deadline(year, month),
            "form": form,
        },
        status=status,
    )
