"""GET /audit/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&action=&user=&office=&ticket=]

The audit log as CSV, streamed from the database in chunks, for the site's
administrators and the center's auditors (users granted "Can export the audit
log"). The export itself is audited. Anyone else gets 403; bad filters a 400
naming the field.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .forms import ExportForm
from .models import Action
from .selectors import acsv_lines, csv_lines, entries
from .services import record

EXPORT_PERMISSION = "audit.export_auditentry"


def may_export(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(EXPORT_PERMISSION))


@require_GET
@login_required
def export_csv(request):
    if not may_export(request.user):
        raise PermissionDenied(_("Only administrators and the center's auditors may export the audit log."))
    params = request.GET
    form = ExportForm(
        {
            "start": params.get("from", ""),
            "end": params.get("to", ""),
            "action": params.get("action", ""),
            "username": params.get("user", ""),
            "office": params.get("office", ""),
            "ticket": params.get("ticket", ""),
        }
    )
    if not form.is_valid():
        names = {"start": "from", "end": "to", "username": "user"}
        errors = {names.get(k, k): v for k, v in form.errors.items()}
        return HttpResponse(
            json.dumps({"detail": _("Invalid export filters."), "errors": errors}, ensure_ascii=False),
            status=400,
            content_type="application/json",
        )
    filters = form.cleaned_data
    record(action=Action.AUDIT_EXPORTED, user=request.user, details={k: str(v) for k, v in filters.items() if v})
    qs = entries(**filters)
    # Under ASGI (daphne) a synchronous iterator would be read whole before sending: stream asynchronously.
    lines = acsv_lines(qs) if isinstance(request, ASGIRequest) else csv_lines(qs)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-{filters["start"]:%Y%m%d}-{filters["end"]:%Y%m%d}.csv"'
    )
    return response
