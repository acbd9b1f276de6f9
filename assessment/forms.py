"""The unit's appeal against a deduction [AR-5] (assessment.appeal_views)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the deduction is wrong"), min_length=4, max_length=4000, widget=forms.Textarea({"rows": 5})
    )
