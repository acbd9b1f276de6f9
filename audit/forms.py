from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_EXPORT_DAYS = 366


class ExportForm(forms.Form):
    """The filters of an audit export; both days are required and at most a year apart."""

    start = forms.DateField(label=_("From"), input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=_("To"), input_formats=["%Y-%m-%d"])
    action = forms.CharField(label=_("Action"), required=False, max_length=48)
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    office = forms.CharField(label=_("Office code"), required=False, max_length=40)
    ticket = forms.CharField(label=_("Ticket number"), required=False, max_length=32)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("start", _("The first day must not be after the last."))
            elif (end - start).days + 1 > MAX_EXPORT_DAYS:
                self.add_error("end", _("An export covers at most %(days)s days.") % {"days": MAX_EXPORT_DAYS})
        return data
