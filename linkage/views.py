"""The ticket's hand-over page (/linkage/t/<number>/hand-over): its hand-overs to and from the linked
systems, and the form that hands it over [CT-2]. The desks' ticket page lists them and links here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.api import DomainError
from dispatch.exceptions import TicketNotFound
from dispatch.policy import may_hand_over, may_use_console
from dispatch.selectors import ticket_for

from . import services
from .models import LinkedSystem


class HandOverForm(forms.Form):
    line = forms.ChoiceField(label=gettext_lazy("Linked system"))
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(s.code, s.name) for s in LinkedSystem.objects.filter(is_active=True)]


@require_http_methods(["GET", "POST"])
@login_required
def hand_over_page(request, number: str):
    """GET: the ticket's hand-overs and the form; POST: hand it over (a 4xx with the form kept on an error)."""
    if not may_use_console(request.user):
        raise PermissionDenied(_("Only the call-takers and dispatchers of a center hand tickets over."))
    try:
        ticket = ticket_for(request.user, number)
    except TicketNotFound:  # a ticket outside the user's scope does not exist for them
        raise Http404(_("No such ticket.")) from None
    allowed = may_hand_over(request.user, ticket)
    form = HandOverForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not allowed:
            raise PermissionDenied(_("Only the ticket's center hands it over to a linked system."))
        status = 400
        if form.is_valid():
            try:
                h = services.hand_over(
                    user=request.user,
                    number=ticket.number,
                    line=form.cleaned_data["line"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as e:
                form.add_error(None, e.message)
                status = e.status_code
            else:
                if h.state == h.State.FAILED:
                    messages.error(request, _("The linked system did not take it: %(error)s") % {"error": h.last_error})
                else:
                    messages.success(
                        request,
                        _("Handed over to %(line)s: %(state)s")
                        % {"line": h.system.name, "state": h.get_state_display()},
                    )
                return redirect("linkage:hand-over", number=ticket.number)
    return render(
        request,
        "linkage/hand_over.html",
        {"ticket": ticket, "form": form, "allowed": allowed, "handovers": services.handovers_of(ticket)},
        status=status,
    )
