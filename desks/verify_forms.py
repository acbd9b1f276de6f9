"""The callback desk's forms for verifying callbacks [AR-5] and its monthly monitoring [CB-3]."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from grid.models import Office

from .forms import OfficeField
from .models import FalseReportCase, VerifyingCallback
from .verification import SAMPLE_DEFAULT, SAMPLE_MAX


class FlagForm(forms.Form):
    """Flag a unit, or tickets (their unit is found from their accepted reply), as suspected of false reports."""

    unit = OfficeField(label=_("Unit suspected"), required=False)
    tickets = forms.CharField(
        label=_("Tickets (numbers, comma-separated)"),
        max_length=600,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    sample_size = forms.IntegerField(
        label=_("Random sample of its other tickets"), min_value=0, max_value=SAMPLE_MAX, initial=SAMPLE_DEFAULT
    )
    seed = forms.IntegerField(label=_("Seed (empty: drawn and kept)"), min_value=0, max_value=2**63 - 1, required=False)
    source = forms.ChoiceField(
        choices=FalseReportCase.Source.choices, initial=FalseReportCase.Source.PERSON, widget=forms.HiddenInput
    )

    def clean_unit(self):
        code = self.cleaned_data["unit"]
        if not code:
            return None
        office = Office.objects.filter(code=code).first()
        if office is None:
            raise forms.ValidationError(_("No unit with the code %(code)s.") % {"code": code})
        return office

    def clean_tickets(self):
        numbers = [p.strip() for p in re.split(r"[,，;；\s]+", self.cleaned_data["tickets"] or "") if p.strip()]
        if len(numbers) > 20:
            raise forms.ValidationError(_("Name at most 20 tickets."))
        return numbers

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("unit") and not data.get("tickets"):
            raise forms.ValidationError(_("Name the unit, or the tickets whose replies are suspected."))
        return data


class OutcomeForm(forms.Form):
    """What the verifying callback found."""

    outcome = forms.ChoiceField(
        label=_("Finding"), choices=[c for c in VerifyingCallback.Outcome.choices if c[0]], widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
