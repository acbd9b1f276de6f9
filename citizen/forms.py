"""The citizen's forms: every field checked, a message a person can act on [issue 16]."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from citizen import credit_code
from core.photos import MAX_PHOTOS
from dispatch.models import Kind, Satisfaction

CITIZEN_KINDS = [
    (Kind.HELP, _("Ask for help")),
    (Kind.COMPLAINT, _("Complain")),
    (Kind.CONSULTATION, _("Ask a question")),
    (Kind.SUGGESTION, _("Suggest")),
    (Kind.REPORT, _("Report wrongdoing")),
    (Kind.PRAISE, _("Praise")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); core.photos checks what they are."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What do you want?"), choices=CITIZEN_KINDS, initial=Kind.HELP)
    description = forms.CharField(
        label=_("What happened, and where?"),
        min_length=8,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what the problem is, since when, and the exact place."),
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=300,
        help_text=_("Type an address and check where it lands, or pin the place on the map."),
    )
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=73, max_value=136)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=3, max_value=54)
    photos = MultipleFileField(label=_("Photos (up to %(n)s)") % {"n": MAX_PHOTOS}, required=False)
    public = forms.BooleanField(
        label=_("Make my request public (without my name or phone) once it is closed"), required=False
    )
    is_business = forms.BooleanField(label=_("I file this for a business"), required=False)
    business_name = forms.CharField(label=_("Business name"), required=False, max_length=100)
    credit_code = forms.CharField(label=_("Unified social credit code"), required=False, max_length=24)
    name = forms.CharField(label=_("Your name"), max_length=60)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("Code from the SMS"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("lon") is None) != (data.get("lat") is None):
            raise forms.ValidationError(_("The map pin is incomplete: pin the place again."))
        if data.get("is_business"):
            if not (data.get("business_name") or "").strip():
                self.add_error("business_name", _("Give the business's name."))
            if not credit_code.is_valid(data.get("credit_code", "")):
                self.add_error(
                    "credit_code", _("The unified social credit code is not valid: check its 18 characters.")
                )
        return data


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class VerifyForm(PhoneForm):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class NumberForm(forms.Form):
    number = forms.CharField(label=_("Request number"), max_length=32)
    last4 = forms.RegexField(
        label=_("Last 4 digits of your phone"),
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": _("Enter 4 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with the reply?"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
