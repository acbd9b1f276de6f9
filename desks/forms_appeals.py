"""The forms of the [AR-5] desks (desks.appeals): rulings on appeals and disputed returns, the unit's dispute."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AppealRulingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Ruling"), choices=[("uphold", _("Uphold")), ("reject", _("Reject"))], widget=forms.RadioSelect
    )
    ruling = forms.CharField(label=_("Grounds"), min_length=4, max_length=2000, widget=forms.Textarea({"rows": 2}))


class DisputeRulingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Second ruling"),
        choices=[("overturn", _("Overturn: approve the return")), ("confirm", _("Confirm the refusal"))],
        widget=forms.RadioSelect,
    )
    ruling = forms.CharField(label=_("Grounds"), min_length=4, max_length=2000, widget=forms.Textarea({"rows": 2}))


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("Why the refusal is wrong"), min_length=4, max_length=2000)
