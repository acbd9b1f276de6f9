"""The desks' actions: each is a form and an entry of dispatch's action registry (or the desks' own
supervision service), offered when dispatch.policy.desk_actions says it applies now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from dispatch.actions import REGISTRY

from . import forms, services


@dataclass(frozen=True)
class DeskAction:
    name: str
    form: type
    fields: tuple[str, ...]  # the form's cleaned data the service takes
    label: str
    done: str
    service: Callable[..., Any] | None = None  # None: the dispatch registry's entry of the same name
    extra: dict | None = None

    def perform(self, *, ticket, by, data: dict) -> Any:
        kwargs = {k: data.get(k) for k in self.fields} | (self.extra or {})
        if self.service is not None:
            return self.service(ticket=ticket, by=by, **kwargs)
        return REGISTRY[self.name].perform(ticket=ticket, by=by, data=kwargs)


DESK_ACTIONS: dict[str, DeskAction] = {
    a.name: a
    for a in (
        DeskAction(
            "dispatch",
            forms.DispatchForm,
            ("lead", "co_handlers", "category", "note"),
            _("Dispatch"),
            _("Dispatched."),
        ),
        DeskAction(
            "change-lead", forms.ChangeLeadForm, ("lead", "note"), _("Change the lead"), _("Lead unit changed.")
        ),
        DeskAction(
            "add-co-handlers",
            forms.AddCoHandlersForm,
            ("co_handlers", "note"),
            _("Add co-handlers"),
            _("Co-handlers added."),
        ),
        DeskAction(
            "redispatch",
            forms.RedispatchForm,
            ("lead", "co_handlers", "note"),
            _("Re-dispatch"),
            _("Re-dispatched."),
        ),
        DeskAction("split", forms.SplitForm, ("items", "note"), _("Split into items"), _("Split into items.")),
        DeskAction("merge", forms.MergeForm, ("into", "note"), _("Merge as a duplicate"), _("Merged.")),
        DeskAction(
            "approve-return",
            forms.ApproveReturnForm,
            ("office", "assignment", "note"),
            _("Approve the return"),
            _("Return approved: re-dispatched."),
        ),
        DeskAction(
            "refuse-return",
            forms.RefuseReturnForm,
            ("assignment", "note"),
            _("Refuse the return"),
            _("Return refused: the unit keeps the ticket."),
        ),
        DeskAction(
            "approve-extension",
            forms.ReasonForm,
            ("note",),
            _("Approve the extension"),
            _("Extension approved."),
        ),
        DeskAction("refuse-extension", forms.ReasonForm, ("note",), _("Refuse the extension"), _("Extension refused.")),
        DeskAction("accept-reply", forms.AcceptReplyForm, ("note",), _("Accept the reply"), _("Reply accepted.")),
        DeskAction("send-back", forms.SendBackForm, ("note",), _("Send back"), _("Reply sent back.")),
        DeskAction(
            "callback",
            forms.CallbackForm,
            ("satisfaction", "note"),
            _("Record the phone callback"),
            _("Callback recorded."),
            extra={"channel": "phone"},
        ),
        DeskAction(
            "supervise",
            forms.SuperviseForm,
            ("kind", "note", "answer_days"),
            _("Supervise"),
            _("Supervision recorded."),
            service=lambda *, ticket, by, kind, note, answer_days: services.supervise(
                ticket=ticket, by=by, kind=kind, note=note, answer_days=answer_days or 2
            ),
        ),
    )
}
