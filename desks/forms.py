"""The desks' forms: each validates one action's input and hands the registry a dict (dispatch.actions)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import CallerContact, Satisfaction

from .models import Supervision

MISSING = (
    ("facts", _("the facts found")),
    ("result", _("the result")),
    ("basis", _("the basis")),
    ("signer", _("the signer")),
    ("handler", _("the handler's name")),
    ("contact", _("the contact with the caller")),
    ("photos", _("photos of the result")),
)


def _codes(value: str) -> list[str]:
    """Office codes typed or picked from the list ("TC-410402002 光明路街道服务中心", separated by commas)."""
    parts = re.split(r"[,，;；\n]+", value or "")
    return [p.strip().split()[0] for p in parts if p.strip()]


class ReasonForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class OfficeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 140)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "desk-offices", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        codes = _codes(value)
        return codes[0] if codes else ""


class OfficesField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "desk-offices", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        return _codes(super().clean(value))


class DispatchForm(ReasonForm):
    lead = OfficeField(label=_("Lead unit"))
    co_handlers = OfficesField(label=_("Co-handling units (comma-separated)"))
    category = forms.CharField(label=_("Category code"), max_length=16, required=False)


class ChangeLeadForm(ReasonForm):
    lead = OfficeField(label=_("New lead unit"))


class AddCoHandlersForm(ReasonForm):
    co_handlers = OfficesField(label=_("Co-handling units (comma-separated)"), required=True)


class RedispatchForm(ReasonForm):
    lead = OfficeField(label=_("Lead unit"))
    co_handlers = OfficesField(label=_("Co-handling units (comma-separated)"))


class SplitForm(ReasonForm):
    """[CT-5] Up to four items on the page (the service takes up to eight); an item left empty is skipped."""

    ITEMS = 4

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, self.ITEMS + 1):
            self.fields[f"item{i}_description"] = forms.CharField(
                label=_("Item %(n)s") % {"n": i}, max_length=500, required=False
            )
            self.fields[f"item{i}_lead"] = OfficeField(label=_("Unit"), required=False)
            self.fields[f"item{i}_days"] = forms.IntegerField(
                label=_("Days"), min_value=1, max_value=30, required=False
            )

    def clean(self):
        data = super().clean()
        items = []
        for i in range(1, self.ITEMS + 1):
            description, lead = data.get(f"item{i}_description"), data.get(f"item{i}_lead")
            if not description and not lead:
                continue
            if not description or not lead:
                self.add_error(f"item{i}_lead" if description else f"item{i}_description", _("An item needs both."))
                continue
            items.append({"description": description, "lead": lead, "days": data.get(f"item{i}_days")})
        if len(items) < 2 and not self.errors:
            raise forms.ValidationError(_("Split into at least two items."))
        data["items"] = items
        return data


class MergeForm(ReasonForm):
    into = forms.CharField(label=_("Number of the ticket it repeats"), max_length=32)


class ApproveReturnForm(ReasonForm):
    assignment = forms.IntegerField(widget=forms.HiddenInput, required=False)
    office = OfficeField(label=_("New unit (empty: the one suggested)"), required=False)


class RefuseReturnForm(ReasonForm):
    assignment = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AcceptReplyForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SendBackForm(forms.Form):
    """[HD-3] What the reply lacks, ticked and said; the unit completes it within the deadline."""

    missing = forms.MultipleChoiceField(
        label=_("Missing"), choices=MISSING, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("What to complete"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        labels = dict(MISSING)
        missing = [str(labels[m]) for m in data.get("missing") or []]
        text = (data.get("note") or "").strip()
        if not missing and not text:
            raise forms.ValidationError(_("Say what the reply lacks."))
        data["note"] = "；".join(filter(None, [("缺少：" + "、".join(missing)) if missing else "", text]))
        return data


class CallbackForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SuperviseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Supervision"), choices=Supervision.Kind.choices)
    note = forms.CharField(label=_("What the unit must do"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    answer_days = forms.IntegerField(
        label=_("Answer within (days)"), min_value=1, max_value=7, initial=2, required=False
    )


class ContactForm(forms.Form):
    """[HD-1] A unit's contact with the caller: means and outcome (a failed attempt is recorded too)."""

    means = forms.ChoiceField(label=_("Means"), choices=CallerContact.Means.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallerContact.Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500)


class SampleForm(forms.Form):
    size = forms.IntegerField(label=_("Sample size"), min_value=1, max_value=500, initial=50)
    days = forms.IntegerField(label=_("From the last (days)"), min_value=1, max_value=366, initial=30)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Evaluator's results (CSV)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 2_000_000:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            return f.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Save the file as UTF-8 CSV.")) from None
