"""The assessment pages: /assessment/<yyyy-mm>/ with the four ranking tables [AR-2].

Only center roles (city and county dispatchers, command-center viewers, admins)
see them; a bad month answers 404 with a message.
"""

from __future__ import annotations

import csv
import hashlib

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grid.models import Role

from .assessment import GROUPS, accountability, assess_month
from .assessment_exports import month_pdf, month_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GROUP_LABELS = {
    "central_districts": gettext_lazy("Central five districts"),
    "central_townships": gettext_lazy("Townships of the central districts"),
    "counties": gettext_lazy("The other 7 counties"),
    "departments": gettext_lazy("City departments"),
}
CENTER_ROLES = {Role.CITY_DISPATCHER, Role.COUNTY_DISPATCHER, Role.CENTER_VIEWER, Role.ADMIN}


def cached_month(year: int, month: int) -> dict:
    """The month's tables, recomputed only when a ticket event or assignment was written since.

    Every workflow transition writes a TicketEvent, so the newest event and
    assignment ids say whether anything the figures depend on has changed.
    """
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT max(id) FROM dispatch_ticketevent), (SELECT max(id) FROM dispatch_assignment),"
            " (SELECT max(updated_at) FROM dispatch_ticket WHERE updated_at > now() - interval '1 day')"
        )
        stamp = hashlib.sha1(repr(cur.fetchone()).encode()).hexdigest()
    key = f"assessment:{year}-{month:02d}:{stamp}"
    tables = cache.get(key)
    if tables is None:
        tables = assess_month(year, month)
        cache.set(key, tables, 3600)
    return tables


def parse_period(period: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in period.split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise Http404(_("No such month: %(period)s (use YYYY-MM).") % {"period": period}) from None
    return year, month


@login_required
def assessment_month(request: HttpRequest, period: str) -> HttpResponse:
    if getattr(request.user, "role", None) not in CENTER_ROLES:
        raise PermissionDenied(_("Only the command center sees the assessment."))
    year, month = parse_period(period)
    tables = cached_month(year, month)
    fmt = request.GET.get("format", "")
    name = f"assessment-{year}-{month:02d}"
    if fmt == "xlsx":
        response = HttpResponse(month_xlsx(f"{year}-{month:02d}", tables), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt == "pdf":
        response = HttpResponse(month_pdf(f"{year}-{month:02d}", tables), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    if fmt:
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use pdf or xlsx.") % {"fmt": fmt})
    return render(
        request,
        "assessment/month.html",
        {"period": f"{year}-{month:02d}", "tables": [(GROUP_LABELS[g], tables[g]) for g in GROUPS]},
    )


CONSEQUENCES = {
    "talk": gettext_lazy("Talk (约谈)"),
    "chief_talk": gettext_lazy("Talk with the unit's chief"),
    "public_statement": gettext_lazy("Public statement"),
}


@login_required
def accountability_month(request: HttpRequest, period: str) -> HttpResponse:
    """The talks this month calls for, with streak escalations [AR-3]; ?format=csv exports them."""
    if getattr(request.user, "role", None) not in CENTER_ROLES:
        raise PermissionDenied(_("Only the command center sees the assessment."))
    year, month = parse_period(period)
    rows = accountability(year, month, assess=cached_month)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="accountability-{year}-{month:02d}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
        writer = csv.writer(response)
        writer.writerow(["group", "unit", "score", "consequence", "months_in_a_row", "talks_this_year", "year_score"])
        for r in rows:
            writer.writerow(
                [GROUP_LABELS[r.group], r.name, r.score, CONSEQUENCES[r.consequence], r.run, r.year_talks, r.year_score]
            )
        return response
    return render(
        request,
        "assessment/accountability.html",
        {
            "period": f"{year}-{month:02d}",
            "rows": [(GROUP_LABELS[r.group], CONSEQUENCES[r.consequence], r) for r in rows],
        },
    )


def public_month(request: HttpRequest, period: str) -> HttpResponse:
    """The figures the city publishes [AR-2]: each group's ranking and satisfaction rate, no login.

    Only unit names, ranks, scores and satisfaction rates: no caller data, no ticket text.
    """
    year, month = parse_period(period)
    tables = cached_month(year, month)
    groups = [
        (
            GROUP_LABELS[g],
            [
                {"rank": u.rank, "name": u.name, "score": u.score, "satisfaction": u.rates.get("satisfaction_rate")}
                for u in tables[g]
                if u.rank
            ],
        )
        for g in GROUPS
    ]
    return render(request, "assessment/public.html", {"period": f"{year}-{month:02d}", "groups": groups})


urlpatterns = [
    path("public/<str:period>/", public_month, name="assessment-public"),
    path("<str:period>/", assessment_month, name="assessment-month"),
    path("<str:period>/accountability/", accountability_month, name="assessment-accountability"),
]
