"""The forms of the workstation pages: they parse what a person typed; the rules are dispatch's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import CallerContact, Urgency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to 6 photos; their content is checked by core.photos, not here."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [f for f in files if f]


def text(label, *, max_length=2000, required=True, rows=None, **attrs):
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget, strip=True)


class NoteForm(forms.Form):
    note = text(_("Note"), required=False, rows=2)


class ContactForm(forms.Form):
    """[HD-1] A contact with the caller, or a failed attempt: how, whether the caller was reached, and what
    was said (none of it preselected: a failed attempt must not pass for a contact)."""

    means = forms.ChoiceField(
        label=_("Contacted by"),
        choices=[("", _("Choose how")), *CallerContact.Means.choices],
        error_messages={"required": _("Say how the caller was contacted.")},
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Reached or not")), *CallerContact.Outcome.choices],
        error_messages={"required": _("Say whether the caller was reached.")},
    )
    note = text(_("What was said or agreed, or why the caller could not be reached"), rows=3)


class ReplyForm(forms.Form):
    """[HD-2] the facts, the result and its basis, the signer and the handler (the unit and the time are recorded)."""

    facts = text(_("Facts found"), max_length=4000, rows=3)
    result = text(_("Result"), max_length=4000, rows=3)
    basis = text(_("Basis (law, policy or finding)"), rows=2)
    signer = text(_("Signed off by"), max_length=60)
    handler_name = text(_("Handler"), max_length=60)
    photos = PhotosField(label=_("Photos (up to 6)"))


class ReviewForm(ReplyForm):
    """The township's review of a community draft: the fields come prefilled and may be edited."""

    note = text(_("Review note"), required=False, rows=2)
    photos = None


class SendBackForm(forms.Form):
    note = text(_("What the draft lacks"), rows=3)


class ReturnForm(forms.Form):
    reason = text(_("Why it is not your office's remit"), rows=3)
    suggested_office = forms.CharField(label=_("Office you suggest"), max_length=40)


class HandBackForm(forms.Form):
    reason = text(_("Why the community cannot handle it"), rows=3)
    suggested_office = forms.CharField(label=_("Office you suggest (optional)"), max_length=40, required=False)


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("Extra days"), min_value=1, max_value=6, initial=2)
    reason = text(_("Reason"), rows=3)
    signed_off_by = text(_("Unit head who signed the request"), max_length=60)


class DelegateForm(forms.Form):
    """'office:WS-…' for the whole workstation or 'worker:<id>' for one grid worker."""

    target = forms.CharField(label=_("Assign to"), max_length=60)
    note = text(_("Note"), required=False, max_length=500)

    def target_parts(self) -> dict:
        kind, _sep, value = self.cleaned_data["target"].partition(":")
        return {"worker": value} if kind == "worker" else {"office": value}


class PhotosForm(forms.Form):
    photos = PhotosField(label=_("Photos (up to 6)"), required=True)


class ReportForm(forms.Form):
    """A problem found on patrol [ORG-5]."""

    category = forms.CharField(label=_("Category"), max_length=16, required=False)
    description = text(_("What is wrong"), max_length=4000, rows=4, required=False)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    address = text(_("Address"), max_length=300, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.GENERAL)
    settle = forms.BooleanField(label=_("Settled on the spot (接诉即办)"), required=False)
    facts = text(_("Facts found"), max_length=4000, rows=2, required=False)
    result = text(_("Result"), max_length=4000, rows=2, required=False)
    basis = text(_("Basis (law, policy or finding)"), required=False)
    signer = text(_("Signed off by"), max_length=60, required=False)
    handler_name = text(_("Handler"), max_length=60, required=False)
    photos = PhotosField(label=_("Photos (up to 6)"))
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    device_time = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            self.add_error(None, _("The position is incomplete: set it again."))
        return data
