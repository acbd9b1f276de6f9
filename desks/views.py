"""The center's back office: the dispatch, rulings, review, callback and supervision desks [ORG-1..3].

Thin views: a desk lists what waits for the center (desks.selectors, scoped by dispatch.policy.desk_filter),
a ticket page shows it with the forms of the actions dispatch.policy.desk_actions offers, and an action
posts one form to one service (desks.actions). A ticket outside the desk's scope is a 404 everywhere;
a user who is not a center's dispatcher gets 403 for every desk.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api import DomainError
from core.forms import apply_service_error
from dispatch import policy
from dispatch.exceptions import TicketNotFound
from dispatch.models import AdditionalCaller, CallerContact, Status
from dispatch.selectors import caller_for, mask_name, mask_phone

from . import exports, forms, selectors, services, verification
from .actions import DESK_ACTIONS
from .models import EvaluationSample, ReplyTemplate, Supervision

TABS = ("dispatch", "rulings", "review", "callbacks", "supervision")


def desk_required(view):
    """Logged in (else the log-in page) and a dispatcher of a center (else 403) [ORG-1][ORG-2][ORG-3]."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.may_use_desks(request.user):
            raise PermissionDenied(_("The desks are for the dispatchers of a center."))
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, qs):
    return Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))


def _render(request, template: str, context: dict, *, tab: str, status: int = 200):
    context = {"tab": tab, "counts": selectors.desk_counts(request.user), **context}
    return render(request, template, context, status=status)


def _ticket(request, number: str):
    try:
        return selectors.desk_ticket(request.user, number)
    except TicketNotFound:
        raise Http404(_("No such ticket.")) from None


# -- the desks ----------------------------------------------------------------------------------------


@require_GET
@desk_required
def index(request):
    return redirect("desks:dispatch")


@require_GET
@desk_required
def dispatch_desk(request):
    """[AS-1] The manual queue with the suggested route and its why; dispatch in one step."""
    page = _page(request, selectors.dispatch_queue(request.user))
    rows = []
    for ticket in page:
        suggestion = selectors.suggest_route(ticket)
        form = forms.DispatchForm(
            prefix=f"d{ticket.pk}",
            initial={
                "lead": f"{suggestion.lead} {suggestion.lead_name}".strip(),
                "co_handlers": ", ".join(code for code, _name in suggestion.co),
                "note": _("As suggested: %(why)s") % {"why": suggestion.why} if suggestion.lead else "",
            },
        )
        rows.append({"ticket": ticket, "suggestion": suggestion, "form": form})
    return _render(
        request,
        "desks/dispatch.html",
        {"page": page, "rows": rows, "offices": selectors.office_choices()},
        tab="dispatch",
    )


@require_GET
@desk_required
def rulings_desk(request):
    """[AS-3][SLA-3] Returns and extension requests awaiting the desk's ruling."""
    returns = _page(request, selectors.pending_returns(request.user))
    extensions = selectors.pending_extensions(request.user)[:50]
    return _render(request, "desks/rulings.html", {"page": returns, "extensions": extensions}, tab="rulings")


@require_GET
@desk_required
def review_desk(request):
    """[HD-3] Replies awaiting review, the oldest first."""
    return _render(
        request, "desks/review.html", {"page": _page(request, selectors.awaiting_review(request.user))}, tab="review"
    )


@require_GET
@desk_required
def callbacks_desk(request):
    """[CB-1][CB-2][CB-3] Callbacks by due time; the evaluator's samples."""
    samples = EvaluationSample.objects.filter(office=request.user.office)[:10]
    return _render(
        request,
        "desks/callbacks.html",
        {
            "page": _page(request, selectors.callbacks_due(request.user)),
            "now": timezone.now(),
            "samples": samples,
            "sample_form": forms.SampleForm(),
            "import_form": forms.ImportForm(),
        },
        tab="callbacks",
    )


@require_GET
@desk_required
def supervision_desk(request):
    """[SV-1][SV-2][SV-3] Near-deadline, overdue, repeated and focus tickets; the written notices."""
    view = request.GET.get("view", "overdue")
    if view not in selectors.SUPERVISION_VIEWS:
        view = "overdue"
    now = timezone.now()
    page = _page(request, selectors.supervision_list(request.user, view, now=now))
    silent = services.silent_after_written(
        Supervision.objects.filter(ticket__in=policy.desk_tickets(request.user))
    ).select_related("to_office", "ticket")[:20]
    return _render(
        request,
        "desks/supervision.html",
        {
            "page": page,
            "view": view,
            "views": selectors.SUPERVISION_VIEWS,
            "now": now,
            "silent": silent,
            "false_units": verification.false_replies_by_unit(request.user),  # [AR-5][AR-3]
        },
        tab="supervision",
    )


# -- one ticket ----------------------------------------------------------------------------------------


def _callers(user, ticket) -> list[dict]:
    """The callers of a merged duplicate, shown as the ticket's caller is [IN-2]."""
    see = policy.can_see_caller(user, ticket)
    return [
        {
            "name": c.name if see else mask_name(c.name),
            "phone": c.phone if see else mask_phone(c.phone),
            "from": c.from_ticket.number if c.from_ticket_id else "",
            "masked": not see,
        }
        for c in AdditionalCaller.objects.filter(ticket=ticket).select_related("from_ticket")
    ]


def _context(request, ticket, *, bound: dict | None = None) -> dict:
    ticket = (
        type(ticket)
        .objects.select_related("category__parent", "center", "sla_policy")
        .prefetch_related("assignments__office", "assignments__suggested_office", "extensions")
        .get(pk=ticket.pk)
    )
    offered = policy.desk_actions(ticket, request.user)
    bound = bound or {}
    action_forms = {name: bound.get(name) or DESK_ACTIONS[name].form(prefix=name) for name in offered}
    returns = [a for a in ticket.assignments.all() if a.is_active and a.state == "return_requested"]
    extension = next((e for e in ticket.extensions.all() if e.state == "pending" and e.step == ticket.step), None)
    suggestion = selectors.suggest_route(ticket) if ticket.status == Status.PENDING_DISPATCH else None
    if suggestion and "dispatch" in action_forms and "dispatch" not in bound:
        action_forms["dispatch"] = forms.DispatchForm(
            prefix="dispatch",
            initial={
                "lead": f"{suggestion.lead} {suggestion.lead_name}".strip(),
                "co_handlers": ", ".join(code for code, _name in suggestion.co),
            },
        )
    templates = ReplyTemplate.objects.filter(is_active=True).filter(
        **({"category__in": [ticket.category_id, ticket.category.parent_id]} if ticket.category_id else {})
    )
    return {
        "ticket": ticket,
        "caller": caller_for(request.user, ticket),
        "callers": _callers(request.user, ticket),
        "actions": action_forms,
        "assignments": sorted(ticket.assignments.all(), key=lambda a: (-a.step, a.role != "lead", a.id)),
        "returns": returns,
        "extension": extension,
        "reply": selectors.pending_reply(ticket),
        "replies": ticket.replies.select_related("office").order_by("-replied_at")[:10],
        "contacts": CallerContact.objects.filter(ticket=ticket).select_related("office"),
        "events": ticket.events.select_related("actor", "actor_office").order_by("-at", "-id")[:60],
        "photos": ticket.attachments.all(),
        "supervisions": ticket.supervisions.select_related("to_office").all(),
        "suggestion": suggestion,
        "templates": templates[:10] if ticket.category_id else [],
        "offices": selectors.office_choices() if action_forms else [],
        "area_code": ticket.community_code or ticket.township_code,
        "township_code": ticket.township_code,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "split_from": ticket.extra.get("split_from"),
        "split_into": ticket.extra.get("split_into") or [],
        "merged_into": ticket.extra.get("merged_into"),
        "merged": ticket.extra.get("merged") or [],
    }


@require_GET
@desk_required
def ticket_detail(request, number: str):
    ticket = _ticket(request, number)
    return _render(request, "desks/ticket.html", _context(request, ticket), tab=request.GET.get("from", ""))


@require_POST
@desk_required
def ticket_action(request, number: str, action: str):
    """One desk action on one ticket: a 404 unless it is the desk's; the service decides the rest."""
    ticket = _ticket(request, number)
    desk_action = DESK_ACTIONS.get(action)
    if desk_action is None:
        raise Http404
    prefix = request.POST.get("prefix") or action
    if prefix != action and not (prefix.startswith("d") and prefix[1:].isdigit()):
        prefix = action
    form = desk_action.form(request.POST, prefix=prefix)
    status = 400
    if form.is_valid():
        try:
            result = desk_action.perform(ticket=ticket, by=request.user, data=form.cleaned_data)
        except (ValidationError, DomainError) as e:
            status = apply_service_error(form, e)
        else:
            messages.success(request, str(desk_action.done))
            if action == "split":
                messages.info(request, _("Items: %(numbers)s") % {"numbers": "、".join(t.number for t in result)})
            back = request.POST.get("back", "")
            if back in TABS:
                return redirect(f"desks:{back}")
            return redirect("desks:ticket", number=(result.number if action == "merge" else ticket.number))
    ticket.refresh_from_db()
    context = _context(request, ticket, bound={action: form})
    context["actions"][action] = form
    context["open_action"] = action
    return _render(request, "desks/ticket.html", context, tab="", status=status)


# -- supervision notices, samples ---------------------------------------------------------------------


@require_GET
@desk_required
def supervision_pdf(request, number: str):
    """[SV-1] The numbered 督办单 of a written supervision, as a PDF."""
    notice = get_object_or_404(
        Supervision.objects.select_related("ticket__category__parent", "to_office", "issued_by_office", "issued_by"),
        number=number,
        kind=Supervision.Kind.WRITTEN,
        ticket__in=policy.desk_tickets(request.user),
    )
    response = HttpResponse(exports.supervision_pdf(notice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
    return response


@require_POST
@desk_required
def draw_sample(request):
    """[CB-3] Draw a random sample of called-back tickets for the third-party evaluator."""
    form = forms.SampleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("desks:callbacks")
    try:
        sample = services.draw_sample(by=request.user, **form.cleaned_data)
    except (ValidationError, DomainError) as e:
        messages.error(request, " ".join(getattr(e, "messages", [getattr(e, "message", str(e))])))
        return redirect("desks:callbacks")
    messages.success(request, _("Sample %(code)s drawn: %(n)s tickets.") % {"code": sample.code, "n": sample.size})
    return redirect("desks:callbacks")


def _sample(request, code: str) -> EvaluationSample:
    return get_object_or_404(EvaluationSample, code=code, office=request.user.office)


@require_GET
@desk_required
def sample_csv(request, code: str):
    sample = _sample(request, code)
    response = HttpResponse("\ufeff" + services.sample_csv(sample), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sample.code}.csv"'
    return response


@require_http_methods(["POST"])
@desk_required
def sample_import(request, code: str):
    sample = _sample(request, code)
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("desks:callbacks")
    try:
        result = services.import_results(by=request.user, sample=sample, content=form.cleaned_data["file"])
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("desks:callbacks")
    messages.success(
        request,
        _("Results imported: %(updated)s tickets, %(agree)s agree with the callback, %(disagree)s do not.") % result,
    )
    return redirect("desks:callbacks")


# -- the unit's side of a written notice [SV-1] ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def unit_notices(request):
    """[SV-1] The written supervision notices sent to the user's office, the open ones first, each with a form
    for the unit's answer (the lead unit's handlers answer; the center sees the answer on its desk)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.office_id is None:
        raise PermissionDenied(_("Your account belongs to no office."))
    notices = (
        Supervision.objects.filter(kind=Supervision.Kind.WRITTEN, to_office_id=request.user.office_id)
        .select_related("ticket", "issued_by_office")
        .order_by("-answered_at", "answer_due")
    )
    errors, status = {}, 200
    if request.method == "POST":
        notice = get_object_or_404(notices, number=request.POST.get("number", ""))
        try:
            services.answer_supervision(supervision=notice, by=request.user, answer=request.POST.get("answer", ""))
        except (ValidationError, DomainError) as e:
            errors[notice.number] = " ".join(getattr(e, "messages", None) or [getattr(e, "message", str(e))])
            status = 400 if isinstance(e, ValidationError) else e.status_code
        else:
            messages.success(request, _("Answer sent to the center."))
            return redirect("desks:notices")
    page = Paginator(notices, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "desks/notices.html", {"page": page, "errors": errors}, status=status)
