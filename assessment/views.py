"""The assessment pages [AR-1][AR-2][AR-3], read from the stored month tables (assessment.store).

- `/assessment/<yyyy-mm>/`: the four ranking tables with month-over-month
  arrows and charts (`?unit=<office id>` adds that unit's 6-month trend),
  `?format=pdf` / `?format=xlsx` downloads, the month's revisions after upheld appeals [AR-5]. Center roles only.
- `/assessment/<yyyy-mm>/unit/<office id>/`: one unit's drill-down, the tickets
  that cost it points (`?format=csv` lists them all). Center roles, and the
  unit's own staff for their own unit. Each listed ticket links to its appeal for the unit's own staff,
  and the unit's appeals of the month show with their state [AR-5] (assessment.appeal_views).
- `/assessment/<yyyy-mm>/accountability/`: the talks and escalations [AR-3].
- `/assessment/public/<yyyy-mm>/`: the published ranking, no login.
- `/assessment/year/<yyyy>/`: the year's results and honours [AR-4] (`?format=pdf` / `?format=xlsx`).

A bad month or office answers 404 with a message; another office's unit 403.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.appeals import appeal_deadline
from assessment.charts import score_bars, score_trend
from assessment.exports import month_pdf, month_xlsx, year_pdf, year_xlsx
from assessment.metrics import (
    COSTS,
    GROUP_LABELS,
    GROUPS,
    PENALTIES,
    RATE_WEIGHTS,
    accountability,
    annual_results,
    month_bounds,
    month_over_month,
    previous_months,
    ranked_unit,
    unit_costs,
)
from assessment.models import Appeal, AssessmentRevision
from assessment.store import month_tables, months_tables, unit_trend
from core.exports import csv_writer
from dispatch import policy
from dispatch.models import TicketEvent
from dispatch.policy import tickets_visible_to

if TYPE_CHECKING:
    from grid.models import User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PER_METRIC = 200  # the page lists this many tickets per metric; the CSV lists them all

RATE_LABELS = {
    "sign_on_time_rate": gettext_lazy("Sign-for on time rate"),
    "contact_rate": gettext_lazy("Contact rate"),
    "reply_on_time_rate": gettext_lazy("Reply on time rate"),
    "closure_rate": gettext_lazy("Closure rate"),
    "reply_quality": gettext_lazy("Reply quality"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
}
PENALTY_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "rework": gettext_lazy("Rework"),
    "refused_returns": gettext_lazy("Refused returns"),
    "repeats": gettext_lazy("Repeat complaints"),
}
# What each listed ticket did wrong, per metric that cost points [AR-1]
COST_LABELS = {
    "sign_on_time_rate": gettext_lazy("Signed for late or not at all"),
    "contact_rate": gettext_lazy("Caller not contacted"),
    "reply_on_time_rate": gettext_lazy("Replied late or not on time"),
    "closure_rate": gettext_lazy("Not closed"),
    "reply_quality": gettext_lazy("First reply sent back"),
    "satisfaction_rate": gettext_lazy("Caller dissatisfied"),
    "overdue": gettext_lazy("Overdue"),
    "rework": gettext_lazy("Sent for rework"),
    "refused_returns": gettext_lazy("Return refused by the center"),
    "repeats": gettext_lazy("Repeat complaint"),
}
COUNT_LABELS = {
    "handled": gettext_lazy("Handled"),
    "signed_on_time": gettext_lazy("Signed for on time"),
    "contacted": gettext_lazy("Contacted"),
    "due": gettext_lazy("Replies due"),
    "replied_on_time": gettext_lazy("Replied on time"),
    "closed": gettext_lazy("Closed"),
    "reviewed": gettext_lazy("Replies reviewed"),
    "accepted_first": gettext_lazy("Accepted at first review"),
    "returns": gettext_lazy("Returns requested"),
    "refused_returns": gettext_lazy("Returns refused"),
    "extensions": gettext_lazy("Extensions"),
    "reworked": gettext_lazy("Reworked"),
    "overdue": gettext_lazy("Overdue"),
    "repeats": gettext_lazy("Repeat complaints"),
    "callbacks": gettext_lazy("Callbacks"),
    "satisfied": gettext_lazy("Satisfied"),
}
CONSEQUENCES = {
    "talk": gettext_lazy("Talk (约谈)"),
    "chief_talk": gettext_lazy("Talk with the unit's chief"),
    "public_statement": gettext_lazy("Public statement"),
}
assert set(COST_LABELS) == set(COSTS) == set(RATE_WEIGHTS) | set(PENALTIES)


def not_found_with_message(view):
    """A 404 raised by the view is answered with its message, not the generic page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404 as e:
            return render(request, "assessment/not_found.html", {"message": str(e)}, status=404)

    return wrapper


def parse_period(period: str) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in period.split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError:
        raise Http404(_("No such month: %(period)s (use YYYY-MM).") % {"period": period}) from None
    return year, month


def require_center(user: User) -> None:
    if not policy.may_read_assessment(user):
        raise PermissionDenied(_("Only the command center sees the assessment."))


def _percent(rate):
    return None if rate is None else round(rate * 100, 1)


@login_required
@not_found_with_message
def assessment_month(request: HttpRequest, period: str) -> HttpResponse:
    require_center(request.user)
    year, month = parse_period(period)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "pdf", "xlsx"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use pdf or xlsx.") % {"fmt": fmt})
    (py, pm), _this = previous_months(year, month, 2)
    stored = months_tables([(py, pm), (year, month)])
    now, before = stored[(year, month)], stored[(py, pm)]
    name = f"assessment-{now.period}"
    if fmt == "xlsx":
        response = HttpResponse(month_xlsx(now.period, now.tables), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt == "pdf":
        response = HttpResponse(month_pdf(now.period, now.tables), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    trend = None
    if request.GET.get("unit"):
        try:
            unit_id = int(request.GET["unit"])
        except ValueError:
            return HttpResponseBadRequest(_("unit must be an office id (a number)."))
        unit = now.unit(unit_id)
        if unit is None:
            raise Http404(_("Office %(id)s is not a ranked unit.") % {"id": unit_id})
        trend = {
            "unit": unit,
            "chart": score_trend(
                unit_trend(unit_id, year, month),
                title=_("6-month score of %(name)s") % {"name": unit.name},
                rank_label=_("No. %(rank)s"),
            ),
        }
    changes = month_over_month(now.tables, before.tables)
    groups = []
    for g in GROUPS:
        rows = now.tables[g]
        groups.append(
            {
                "key": g,
                "label": GROUP_LABELS[g],
                "rows": [(u, changes.get(u.office_id)) for u in rows],
                "chart": score_bars(rows, title=str(GROUP_LABELS[g]), talk_label=_("Summoned for a talk")),
            }
        )
    return render(
        request,
        "assessment/month.html",
        {
            "period": now.period,
            "previous": before.period,
            "computed_at": now.computed_at,
            "scheme": now.scheme,
            "groups": groups,
            "trend": trend,
            "revisions": AssessmentRevision.objects.filter(month__month=dt.date(year, month, 1)).select_related(
                "appeal__unit", "appeal__ticket", "by"
            ),
        },
    )


@login_required
@not_found_with_message
def assessment_unit(request: HttpRequest, period: str, office: str) -> HttpResponse:
    """One unit's month [AR-1][AR-2]: counts, rates, penalties, 6-month trend, and per metric that
    cost points the tickets that cost them (`?format=csv` lists every one)."""
    try:
        office_id = int(office)
    except ValueError:
        raise Http404(_("No office %(id)s: the office id is a number.") % {"id": office}) from None
    if not policy.may_see_unit(request.user, office_id):
        raise PermissionDenied(_("Only the command center and the unit itself see a unit's assessment."))
    year, month = parse_period(period)
    fmt = request.GET.get("format", "")
    if fmt not in ("", "csv"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use csv.") % {"fmt": fmt})
    found = ranked_unit(office_id)
    if found is None:
        raise Http404(_("Office %(id)s is not a ranked unit.") % {"id": office_id})
    group, unit_office, members = found
    stored = month_tables(year, month)
    unit = stored.unit(office_id)
    if unit is None:  # ranked now, not when the month was computed: recompute to include it
        raise Http404(
            _("%(name)s has no figures for %(period)s.") % {"name": unit_office.name, "period": stored.period}
        )
    costs = unit_costs(year, month, members, counts=unit.counts, scheme=stored.scheme, now=stored.computed_at)
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="assessment-{stored.period}-{unit_office.code}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
        writer = csv_writer(response)
        writer.writerow(["metric", "points_lost", "ticket", "received_at", "category", "office"])
        for c in costs:
            for t in c.tickets:
                received = timezone.localtime(t["received_at"]).strftime("%Y-%m-%d %H:%M")
                writer.writerow([COST_LABELS[c.metric], c.points, t["number"], received, t["category"], t["office"]])
        return response
    ids = {t["ticket_id"] for c in costs for t in c.tickets[:SHOWN_PER_METRIC]}
    visible = set(tickets_visible_to(request.user).filter(id__in=ids).values_list("id", flat=True))
    appeals = list(
        Appeal.objects.filter(unit_id=office_id, month=dt.date(year, month, 1)).select_related("ticket", "ruled_by")
    )
    may_appeal = policy.may_appeal(request.user, office_id) and timezone.now() <= appeal_deadline(year, month)
    appeal_url = reverse("assessment-appeal", args=[stored.period, office_id]) if may_appeal else ""
    sections = [
        {
            "metric": c.metric,
            "label": COST_LABELS[c.metric],
            "points": c.points,
            "total": len(c.tickets),
            "rows": _ticket_rows(c.tickets[:SHOWN_PER_METRIC], visible, c.metric, appeals, appeal_url),
        }
        for c in costs
    ]
    false_replies = _false_replies(year, month, members, visible=tickets_visible_to(request.user))
    scheme = stored.scheme
    rates = [
        (RATE_LABELS[m], _percent(unit.rates.get(m)), scheme.weights[m], _rate_points(unit, m, scheme))
        for m in RATE_WEIGHTS
    ]
    penalties = [(PENALTY_LABELS[p], unit.penalties.get(p), *scheme.penalties[p]) for p in PENALTIES]
    return render(
        request,
        "assessment/unit.html",
        {
            "period": stored.period,
            "computed_at": stored.computed_at,
            "group": GROUP_LABELS[group],
            "unit": unit,
            "counts": [(COUNT_LABELS[k], unit.counts.get(k, 0)) for k in COUNT_LABELS],
            "rates": rates,
            "penalties": penalties,
            "sections": sections,
            "false_replies": false_replies,
            "shown": SHOWN_PER_METRIC,
            "center": policy.may_read_assessment(request.user),
            "appeals": [(a, COST_LABELS.get(a.metric, a.metric)) for a in appeals],
            "appeal_deadline": appeal_deadline(year, month),
            "may_appeal": may_appeal,
            "trend": score_trend(
                unit_trend(office_id, year, month),
                title=_("6-month score of %(name)s") % {"name": unit.name},
                rank_label=_("No. %(rank)s"),
            ),
        },
    )


def _appeal_cell(ticket: dict, metric: str, appeals: list[Appeal], appeal_url: str) -> str:
    """[AR-5] The row's appeal: its state if the unit appealed this deduction, else the link to appeal it."""
    mine = [a for a in appeals if a.ticket_id == ticket["ticket_id"] and a.metric == metric]
    if mine:
        return format_html('<span class="appeal-{}">{}</span>', mine[0].state, mine[0].get_state_display())
    if not appeal_url:
        return ""
    return format_html(
        '<a class="appeal-link" href="{}?assignment={}&amp;metric={}">{}</a>',
        appeal_url,
        ticket["assignment_id"],
        metric,
        _("Appeal"),
    )


FALSE_REPLY_LABELS = {
    "unsolved": gettext_lazy("Reply false: problem not solved"),
    "no_contact": gettext_lazy("Reply false: the unit never contacted the caller"),
}


def _false_replies(year: int, month: int, members: list[int], *, visible) -> list[dict]:
    """[AR-5] The unit's replies that verifying callbacks found false this month (the `verify_reply` events of the
    callback desk). Shown beside the month's figures and not scored: the sources set no deduction for a false
    report; it is for the notice, the talk and the exposure they name [AR-3]."""
    start, end = month_bounds(year, month)
    events = list(
        TicketEvent.objects.filter(action="verify_reply", data__false=True, data__unit__in=members, at__gte=start)
        .filter(at__lt=end)
        .select_related("ticket")
        .order_by("at", "id")
    )
    seen = set(visible.filter(id__in=[e.ticket_id for e in events]).values_list("id", flat=True))
    return [
        {
            "number": e.ticket.number,
            "link": e.ticket_id in seen,
            "at": e.at,
            "outcome": FALSE_REPLY_LABELS.get(e.data.get("outcome", ""), e.data.get("outcome", "")),
            "note": e.note,
        }
        for e in events
    ]


def _ticket_rows(
    tickets: list[dict], visible: set[int], metric: str = "", appeals: list | None = None, appeal_url: str = ""
) -> str:
    """The rows of a drill-down ticket table, built here rather than in the template: a big unit lists
    up to 2,000 tickets and the template engine would take most of the page's time on them."""
    appeals = appeals or []
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                format_html('<a href="{}">{}</a>', reverse("ws:ticket", args=[t["number"]]), t["number"])
                if t["ticket_id"] in visible
                else t["number"],
                timezone.localtime(t["received_at"]).strftime("%Y-%m-%d %H:%M"),
                t["category"] or "—",
                t["office"],
                _appeal_cell(t, metric, appeals, appeal_url) if (appeals or appeal_url) else "",
            )
            for t in tickets
        ),
    )


def _rate_points(unit, metric: str, scheme) -> float | None:
    if unit.score is None:
        return None
    rate = unit.rates.get(metric)
    return round(scheme.weights[metric] * (1.0 if rate is None else rate), 2)


@login_required
@not_found_with_message
def accountability_month(request: HttpRequest, period: str) -> HttpResponse:
    """The talks this month calls for, with streak escalations [AR-3]; ?format=csv exports them."""
    require_center(request.user)
    year, month = parse_period(period)
    months = previous_months(year, month, month)  # the same window accountability() reads: the year so far
    stored = months_tables(months)
    rows = accountability(year, month, assess=lambda y, m: stored[(y, m)].tables)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="accountability-{year}-{month:02d}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
        writer = csv_writer(response)
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


@not_found_with_message
def public_month(request: HttpRequest, period: str) -> HttpResponse:
    """The figures the city publishes [AR-2]: each group's ranking and satisfaction rate, no login.

    Only unit names, ranks, scores and satisfaction rates: no caller data, no ticket text.
    """
    year, month = parse_period(period)
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise Http404(_("%(period)s is not over yet: nothing is published for it.") % {"period": period})
    tables = month_tables(year, month).tables
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


@login_required
@not_found_with_message
def assessment_year(request: HttpRequest, year: int) -> HttpResponse:
    """The year [AR-4]: every unit's annual result (the mean of its monthly scores), ranked per group, and
    the honours "优质服务热线单位"; `?format=pdf` / `?format=xlsx` downloads. Center roles only."""
    require_center(request.user)
    today = timezone.localdate()
    if not 2000 <= year <= today.year:
        raise Http404(_("No assessment for the year %(year)s.") % {"year": year})
    fmt = request.GET.get("format", "")
    if fmt not in ("", "pdf", "xlsx"):
        return HttpResponseBadRequest(_("Unknown format %(fmt)s: use pdf or xlsx.") % {"fmt": fmt})
    months = 12 if year < today.year else today.month
    stored = months_tables([(year, m) for m in range(1, months + 1)])
    results = annual_results(year, months=months, assess=lambda y, m: stored[(y, m)].tables)
    if fmt == "xlsx":
        response = HttpResponse(year_xlsx(year, results), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="assessment-{year}.xlsx"'
        return response
    if fmt == "pdf":
        response = HttpResponse(year_pdf(year, results), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="assessment-{year}.pdf"'
        return response
    groups = [{"key": g, "label": GROUP_LABELS[g], "rows": results[g]} for g in GROUPS]
    return render(
        request,
        "assessment/year.html",
        {
            "year": year,
            "months": months,
            "complete": months == 12,
            "groups": groups,
            "honoured": [r for g in GROUPS for r in results[g] if r.honour],
        },
    )


urlpatterns = [
    path("year/<int:year>/", assessment_year, name="assessment-year"),
    path("public/<str:period>/", public_month, name="assessment-public"),
    path("<str:period>/", assessment_month, name="assessment-month"),
    path("<str:period>/unit/<str:office>/", assessment_unit, name="assessment-unit"),
    path("<str:period>/accountability/", accountability_month, name="assessment-accountability"),
]
