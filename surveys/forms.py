"""Forms for the survey pages: set-up, questions, the call list's draw, one call."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CallEntry, Question, Survey


class SurveyForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title", "kind", "opens_on", "closes_on"]
        widgets = {
            "opens_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "closes_on": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Businesses have no page to answer on yet [PUB-4]: a business survey could be set up and never
        # answered, so only public-opinion surveys are offered.
        self.fields["kind"].choices = [(Survey.Kind.PUBLIC_OPINION.value, Survey.Kind.PUBLIC_OPINION.label)]
        self.fields["kind"].help_text = _(
            "Businesses cannot answer surveys on their phones yet, so a survey is set up as a public-opinion survey."
        )


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    options = forms.CharField(label=_("Options (one a line)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)

    def clean_options(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class DrawForm(forms.Form):
    day_from = forms.DateField(
        label=_("Closed from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    day_to = forms.DateField(label=_("Closed until"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    size = forms.IntegerField(label=_("Callers to draw"), min_value=1, max_value=2000, initial=50)
    area_code = forms.CharField(label=_("Area (code, optional)"), max_length=12, required=False)
    seed = forms.IntegerField(label=_("Seed (optional)"), required=False, min_value=0, max_value=2**31 - 1)


class CallForm(forms.Form):
    """The outcome of one call and the answers, one field per question (q<id>). The answers are plain text
    fields (selects on the page): the service checks them against the questions, with its own messages."""

    outcome = forms.ChoiceField(
        label=pgettext_lazy("survey call", "Outcome"), choices=[("", "—"), *CallEntry.Outcome.choices]
    )

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(survey.questions.all())
        for q in self.questions:
            name = f"q{q.pk}"
            if q.kind == Question.Kind.CHOICE:
                self.fields[name] = forms.CharField(
                    label=q.text, required=False, widget=forms.Select(choices=[("", "—"), *((o, o) for o in q.options)])
                )
            elif q.kind == Question.Kind.SCALE:
                self.fields[name] = forms.CharField(
                    label=q.text,
                    required=False,
                    widget=forms.Select(choices=[("", "—"), *((str(v), str(v)) for v in range(1, 6))]),
                )
            else:
                self.fields[name] = forms.CharField(
                    label=q.text, required=False, widget=forms.Textarea(attrs={"rows": 2})
                )

    def raw_answers(self) -> dict[int, str]:
        """What was typed per question, unvalidated: the service checks it against the questions."""
        return {q.pk: self.data.get(self.add_prefix(f"q{q.pk}"), "") for q in self.questions}
