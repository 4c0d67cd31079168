from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReturnVisit, SurveyReason

RATING_CHOICES = [
    (5, _("5 – very satisfied")),
    (4, _("4 – satisfied")),
    (3, _("3 – neutral")),
    (2, _("2 – dissatisfied")),
    (1, _("1 – very dissatisfied")),
]

SOLVED_CHOICES = [("yes", _("Yes")), ("no", _("No"))]


class SurveyForm(forms.Form):
    """The customer's answer: only the rating is required, so one click is enough."""

    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your complaint?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    solved = forms.ChoiceField(
        label=_("Was your problem solved?"), choices=SOLVED_CHOICES, widget=forms.RadioSelect, required=False
    )
    reasons = forms.ModelMultipleChoiceField(
        label=_("What mattered most? (optional)"),
        queryset=SurveyReason.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = SurveyReason.objects.filter(is_active=True)

    @property
    def solved_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("solved") or "")


class CompleteReturnVisitForm(forms.Form):
    """What came of a return visit (admin action)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReturnVisit.Outcome.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
