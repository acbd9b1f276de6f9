"""Mobile pages for grid workers, workstations, service centers and departments.

Thin views: each reads a form, calls one of dispatch's services (or
dispatch.fieldwork's, built on them) and shows the result. What a user may
see comes from dispatch.selectors.tickets_visible_to alone (a ticket outside
it is a 404, from every page and action); what they may do is decided by the
services, whose refusals come back here as messages next to the form.
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api import DomainError
from core.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, clean_photos
from dispatch import policy, selectors, services
from dispatch.actions import PAGE_ACTIONS, REGISTRY
from dispatch.exceptions import IdempotencyConflict, TicketNotFound
from dispatch.fieldwork import selectors as field_selectors
from dispatch.fieldwork import services as field_services
from dispatch.fieldwork.models import CommunityReply
from dispatch.models import OPEN_STATUSES, Assignment, Status, Urgency
from grid.models import Area

from . import forms
from .presenters import PART_LABELS, countdown, event_label

PAGE_SIZE = 25


# -- access ---------------------------------------------------------------------------


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def office_required(view):
    """Logged in (else the login page, or 401 for a script) and a member of an office (else 403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if wants_json(request):
                return JsonResponse({"detail": _("Log in again to send this."), "code": "login"}, status=401)
            return redirect_to_login(request.get_full_path())
        if request.user.office_id is None:
            raise PermissionDenied(_("Your account belongs to no office."))
        return view(request, *args, **kwargs)

    return wrapper


def _ticket(request, number: str):
    try:
        return selectors.ticket_for(request.user, number)
    except TicketNotFound:
        raise Http404(_("No such ticket.")) from None


def _apply_errors(form, error: Exception, *, extra: dict | None = None) -> int:
    """Put a service's refusal next to the form's fields; the HTTP status that goes with it.

    Errors of fields the form does not have go to `extra` when given (the page
    places them itself), else to the form's general errors.
    """
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, msgs in error.message_dict.items():
                if field in form.fields and not form.fields[field].widget.is_hidden:
                    form.add_error(field, msgs)
                elif extra is not None:
                    extra.setdefault(field, []).extend(msgs)
                else:
                    form.add_error(None, msgs)
        else:
            form.add_error("photos" if "photos" in form.fields else None, error.messages)
        return 400
    if isinstance(error, DomainError):
        form.add_error(None, error.message)
        return error.status_code
    raise error


# -- queue ----------------------------------------------------------------------------


def _row(ticket, user, now):
    office_id = user.office_id
    assignment = next((a for a in ticket.assignments.all() if a.is_active and a.office_id == office_id), None)
    delegation = next((d for d in ticket.delegations.all() if d.is_active), None)
    if assignment is not None:
        part = assignment.role
    elif delegation is not None and delegation.office_id == office_id:
        part = "delegated"
    else:
        part = "view"
    lead = next((a for a in ticket.assignments.all() if a.is_active and a.role == Assignment.Role.LEAD), None)
    return {
        "ticket": ticket,
        "countdown": countdown(ticket, now),
        "part": part,
        "part_label": PART_LABELS[part],
        "unsigned": assignment is not None and assignment.state == Assignment.State.ASSIGNED,
        "delegation": delegation,
        "lead": lead,
    }


@never_cache
@office_required
@require_GET
def queue(request):
    """My queue: nearest deadline first, with countdown colours and filters."""
    view = request.GET.get("view", "todo")
    view = view if view in field_selectors.QUEUE_VIEWS else "todo"
    urgency = request.GET.get("urgency", "")
    urgency = urgency if urgency in Urgency.values else ""
    filters = {
        "view": view,
        "urgency": urgency,
        "overdue": request.GET.get("overdue") == "1",
        "mine": request.GET.get("mine") == "1",
        "q": request.GET.get("q", "")[:60],
    }
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    now = timezone.now()
    qs = field_selectors.for_list(field_selectors.worker_queue(request.user, now=now, **filters))
    chunk = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    rows = [_row(t, request.user, now) for t in chunk[:PAGE_SIZE]]
    more = None
    if len(chunk) > PAGE_SIZE:
        params = request.GET.copy()
        params["page"] = str(page + 1)
        more = f"?{params.urlencode()}"
    return render(
        request,
        "workstations/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "page": page,
            "more": more,
            "urgencies": Urgency.choices,
            "views": [("todo", _("To do")), ("all", _("All I may see")), ("done", _("Done"))],
            "is_desk_user": field_selectors.may_use_desk(request.user),
        },
    )


# -- ticket detail and actions ------------------------------------------------------------

ACTION_FORMS = {
    "sign-for": forms.NoteForm,
    "accept": forms.NoteForm,
    "contact": forms.ContactForm,
    "reply": forms.ReplyForm,
    "return": forms.ReturnForm,
    "hand-back": forms.HandBackForm,
    "request-extension": forms.ExtensionForm,
    "delegate": forms.DelegateForm,
    "withdraw": forms.NoteForm,
    "approve": forms.ReviewForm,
    "send-back-draft": forms.SendBackForm,
    "photos": forms.PhotosForm,
}


def _photos(request, form) -> list:
    return clean_photos(request.FILES.getlist(form.add_prefix("photos")))


def _perform(action: str, ticket, user, form, request) -> str:
    """Call the registry's service behind one page action (the form is valid); the message to show."""
    spec = REGISTRY[PAGE_ACTIONS[action]]
    data = dict(form.cleaned_data)
    if "photos" in form.fields:
        data["photos"] = _photos(request, form)
    if hasattr(form, "target_parts"):
        data["target_parts"] = form.target_parts()
    result = spec.perform(ticket=ticket, by=user, data=data)
    return (spec.message(result) if spec.message else None) or str(spec.done)


def delegation_options(targets) -> list[tuple[str, str]]:
    """The assign picker: each workstation, then its grid workers."""
    options = []
    for station, workers in targets:
        options.append((f"office:{station.code}", _("%(office)s (whole workstation)") % {"office": station.name}))
        options += [(f"worker:{w.pk}", f"{station.name} · {w} · {w.get_role_display()}") for w in workers]
    return options


def _next_deadline(ticket, part):
    """What the user's office must meet next: signing for, while it has not, else resolving."""
    if ticket.status not in OPEN_STATUSES:
        return None
    unsigned = part.assignment is not None and part.assignment.state == Assignment.State.ASSIGNED
    if unsigned and ticket.sign_by and ticket.resolve_by and ticket.sign_by < ticket.resolve_by:
        return ticket.sign_by
    return ticket.resolve_by


def _detail_context(request, ticket, *, bound: dict | None = None, open_action: str = ""):
    user = request.user
    ticket = selectors.detail_for_api(ticket)
    part = field_selectors.part_of(ticket, user)
    api_actions = set(policy.available_actions(ticket, user))
    field_actions = set(field_selectors.field_actions(ticket, user, part))
    # a community working under a delegation acts through fieldwork, never on the township's assignment
    actions = (api_actions & {"sign-for", "contact", "reply", "return", "request-extension"}) | field_actions
    if part.delegated_to_me:
        actions -= {"return", "request-extension", "sign-for"}
    draft = part.pending_draft
    initial = {}
    if draft is not None:
        initial["approve"] = {k: getattr(draft, k) for k in services.REPLY_FIELDS}
    me = getattr(user, "display_name", "") or user.username
    initial.setdefault("reply", {"handler_name": me})
    action_forms = {}
    for name in actions:
        if bound and name in bound:
            action_forms[name] = bound[name]
        else:
            action_forms[name] = ACTION_FORMS[name](initial=initial.get(name), prefix=name)
    now = timezone.now()
    photos = field_selectors.photos_of(ticket)
    events = list(ticket.events.all())
    area = Area.objects.current().filter(code=ticket.community_code or ticket.township_code).first()
    return {
        "ticket": ticket,
        "part": part,
        "part_label": PART_LABELS[part.label],
        "countdown": countdown(ticket, now, deadline=_next_deadline(ticket, part)),
        "caller": selectors.caller_for(user, ticket),
        "actions": action_forms,
        "open_action": open_action,
        "events": [{"event": e, "label": event_label(e.action)} for e in reversed(events)],
        "photos": photos,
        "assignments": [a for a in ticket.assignments.all() if a.is_active],
        "replies": list(ticket.replies.all()),
        "drafts": list(CommunityReply.objects.filter(ticket=ticket).select_related("submitted_by").order_by("-id")),
        "draft": draft,
        "delegation_options": delegation_options(field_selectors.delegation_targets(ticket, user))
        if "delegate" in actions
        else [],
        "return_targets": field_selectors.return_targets(ticket, user) if actions & {"return", "hand-back"} else [],
        "area_code": area.code if area else "",
        "township_code": ticket.township_code,
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }


@never_cache
@office_required
@require_GET
def ticket_detail(request, number: str):
    ticket = _ticket(request, number)
    return render(request, "workstations/ticket.html", _detail_context(request, ticket))


@office_required
@require_POST
def ticket_action(request, number: str, action: str):
    """One action on one ticket: a 404 unless the user may see it; the service decides the rest."""
    ticket = _ticket(request, number)
    if action not in ACTION_FORMS:
        raise Http404
    form = ACTION_FORMS[action](request.POST, request.FILES, prefix=action)
    status = 400
    if form.is_valid():
        try:
            message = _perform(action, ticket, request.user, form, request)
        except (ValidationError, DomainError) as e:
            status = _apply_errors(form, e)
        else:
            messages.success(request, message)
            nxt = request.POST.get("next", "")
            if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
                return redirect(nxt)
            return redirect("ws:ticket", number=ticket.number)
    ticket.refresh_from_db()
    context = _detail_context(request, ticket, bound={action: form}, open_action=action)
    if action not in context["actions"]:  # the action is no longer offered: keep the form so nothing typed is lost
        context["actions"][action] = form
        context["open_action"] = action
    return render(request, "workstations/ticket.html", context, status=status)


# -- report from patrol -------------------------------------------------------------------


def _report_context(request, form, extra_errors=None):
    office = request.user.office
    return {
        "form": form,
        "extra_errors": extra_errors or {},
        "categories": field_selectors.category_picker(),
        "community_code": office.area_code if office.kind == office.Kind.WORKSTATION else "",
        "township_code": _township_code(office),
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }


def _township_code(office) -> str:
    if office.kind == office.Kind.TOWNSHIP_CENTER:
        return office.area_code
    if office.kind == office.Kind.WORKSTATION and office.parent_id:
        return office.parent.area_code
    return ""


def _report_from_form(form) -> field_services.PatrolReport:
    d = form.cleaned_data
    settle = {k: d.get(k) or "" for k in services.REPLY_FIELDS} if d.get("settle") else None
    return field_services.PatrolReport(
        description=d.get("description") or "",
        category=d.get("category") or "",
        lon=d.get("lon"),
        lat=d.get("lat"),
        address=d.get("address") or "",
        urgency=d.get("urgency") or Urgency.GENERAL,
        settle=settle,
        device_time=field_services.device_time(d.get("device_time") or ""),
    )


def _form_errors(form, extra: dict) -> dict[str, list[str]]:
    errors = {field or "__all__": [str(m) for m in msgs] for field, msgs in form.errors.items()}
    for field, msgs in extra.items():
        errors.setdefault(field, []).extend(str(m) for m in msgs)
    return errors


@never_cache
@office_required
@require_http_methods(["GET", "POST"])
def report(request):
    """Report a problem found on patrol [ORG-5]; also the endpoint the phone's outbox sends to."""
    if request.method == "GET":
        form = forms.ReportForm(
            initial={
                "idempotency_key": uuid.uuid4().hex,
                "handler_name": request.user.display_name or request.user.username,
                "urgency": Urgency.GENERAL,
            }
        )
        return render(request, "workstations/report.html", _report_context(request, form))
    data = request.POST.copy()
    if key := request.headers.get("Idempotency-Key", "").strip():
        data["idempotency_key"] = key
    form = forms.ReportForm(data, request.FILES)
    status = 400
    result = None
    extra: dict[str, list] = {}
    if form.is_valid():
        try:
            photos = _photos(request, form)
            result = field_services.report_from_patrol(
                by=request.user,
                report=_report_from_form(form),
                photos=photos,
                client_key=form.cleaned_data["idempotency_key"],
            )
        except (ValidationError, DomainError) as e:
            status = _apply_errors(form, e, extra=extra)
            if isinstance(e, IdempotencyConflict):
                form.add_error(None, _("This report was already sent with different content; start a new one."))
    if result is None:
        if wants_json(request):
            return JsonResponse({"errors": _form_errors(form, extra)}, status=status)
        context = _report_context(request, form, extra)
        return render(request, "workstations/report.html", context, status=status)
    return _report_done(request, result)


def _report_done(request, result):
    ticket = result.ticket
    visible = selectors.tickets_visible_to(request.user).filter(pk=ticket.pk).exists()
    url = reverse("ws:ticket", args=[ticket.number]) if visible else reverse("ws:queue")
    lead = ticket.assignments.filter(is_active=True, role=Assignment.Role.LEAD).select_related("office").first()
    if result.refused:
        message = _("Not accepted: %(reason)s. %(referral)s") % {
            "reason": ticket.get_refusal_reason_display(),
            "referral": ticket.referral,
        }
    elif result.settled:
        message = _("Reported and settled on the spot as %(number)s; the reply awaits the center's review.") % {
            "number": ticket.number
        }
    elif lead is not None:
        message = _("Reported as %(number)s and sent to %(office)s.") % {
            "number": ticket.number,
            "office": lead.office.name,
        }
    else:
        message = _("Reported as %(number)s; it waits for a dispatcher to route it.") % {"number": ticket.number}
    if not result.created:
        message = _("Already received: %(message)s") % {"message": message}
    (messages.warning if result.refused else messages.success)(request, message)
    if wants_json(request):
        body = {
            "number": ticket.number,
            "status": ticket.status,
            "status_label": ticket.get_status_display(),
            "lead": lead.office.name if lead else "",
            "settled": result.settled,
            "replayed": not result.created,
            "refused": result.refused,
            "url": url,
            "message": message,
        }
        return JsonResponse(body, status=422 if result.refused else (201 if result.created else 200))
    return redirect(url)


@office_required
@require_GET
def report_where(request):
    """Where a report at this point (or address) would go: the place and the unit, for the phone to show."""
    try:
        lon = float(request.GET["lon"]) if request.GET.get("lon") else None
        lat = float(request.GET["lat"]) if request.GET.get("lat") else None
    except ValueError:
        return JsonResponse({"detail": _("lon and lat are numbers.")}, status=400)
    address = request.GET.get("address", "")[:300]
    category = request.GET.get("category", "")[:16]
    if (lon is None) != (lat is None):  # one half of a point is no point (issue 18: was a TypeError)
        return JsonResponse({"detail": _("Give both lon and lat, or neither.")}, status=400)
    if lon is None and not address.strip():
        return JsonResponse({"detail": _("Give lon and lat, or an address.")}, status=400)
    if lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return JsonResponse({"detail": _("lon and lat are out of range.")}, status=400)
    location, plan = field_services.route_preview(lon=lon, lat=lat, address=address, category=category)
    place = location.place
    lead = plan.lead
    return JsonResponse(
        {
            "found": place is not None,
            "lon": location.point.x if location.point else None,
            "lat": location.point.y if location.point else None,
            "place": place.names if place else "",
            "community": place.community.name if place and place.community else "",
            "lead": lead.office.name if lead else "",
            "mine": bool(lead and lead.office.id == request.user.office_id),
            "note": location.note,
        }
    )


# -- service-center desk -------------------------------------------------------------------

DESK_STATE_LABELS = {
    "to_sign": _("To sign for"),
    "handling": _("Handling here"),
    "delegated": _("With a community"),
    "review": _("Drafts to review"),
    "community": _("Community's own"),
    "replied": _("Replied"),
    "overdue": _("Overdue"),
}


def _desk_rows(user, tickets, now):
    rows = []
    for t in tickets:
        row = _row(t, user, now)
        mine = next((a for a in t.assignments.all() if a.is_active and a.office_id == user.office_id), None)
        delegable = (
            mine is not None
            and t.status in (Status.DISPATCHED, Status.IN_PROGRESS)
            and mine.state in (Assignment.State.ASSIGNED, Assignment.State.SIGNED)
        )
        row["options"] = delegation_options(field_selectors.delegation_targets(t, user)) if delegable else []
        rows.append(row)
    return rows


@never_cache
@office_required
@require_http_methods(["GET", "POST"])
def desk(request):
    """A township service center's desk: its tickets by community and state, overdue first; assign and review."""
    if not field_selectors.may_use_desk(request.user):
        raise PermissionDenied(_("The desk is for township service-center handlers."))
    community = request.GET.get("community", "")[:12]
    state = request.GET.get("state", "")
    state = state if state in field_selectors.DESK_STATES else ""
    errors: dict[str, object] = {}
    status = 200
    if request.method == "POST":
        number = request.POST.get("number", "")
        ticket = _ticket(request, number)
        form = forms.DelegateForm(request.POST, prefix=f"assign-{number}")
        if form.is_valid():
            try:
                field_services.delegate(
                    ticket=ticket, by=request.user, note=form.cleaned_data["note"], **form.target_parts()
                )
            except (ValidationError, DomainError) as e:
                status = _apply_errors(form, e)
            else:
                messages.success(request, _("%(number)s assigned.") % {"number": number})
                return redirect(request.get_full_path())
        else:
            status = 400
        errors[number] = form
    now = timezone.now()
    tickets = field_selectors.for_list(field_selectors.desk_tickets(request.user, community=community, state=state))
    rows = _desk_rows(request.user, list(tickets[:200]), now)
    for row in rows:
        row["form"] = errors.get(row["ticket"].number) or forms.DelegateForm(prefix=f"assign-{row['ticket'].number}")
    drafts = (
        CommunityReply.objects.filter(
            review=CommunityReply.Review.PENDING,
            delegation__is_active=True,
            delegation__assignment__office=request.user.office,
        )
        .select_related("ticket", "delegation__office", "submitted_by")
        .order_by("submitted_at")
    )
    summary = field_selectors.desk_summary(request.user, now=now)
    counts = {
        key: field_selectors.desk_tickets(request.user, community=community, state=key, now=now).count()
        for key in field_selectors.DESK_STATES
    }
    return render(
        request,
        "workstations/desk.html",
        {
            "rows": rows,
            "summary": summary,
            "community": community,
            "state": state,
            "states": DESK_STATE_LABELS,
            "drafts": drafts,
            "counts": counts,
            "total": field_selectors.desk_tickets(request.user, community=community, now=now).count(),
        },
        status=status,
    )
