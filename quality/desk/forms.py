"""Desk forms of quality inspection: the scorecard, the appeal and the decision."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from quality.models import Criterion, Review
from quality.services import CriterionScore


class ScoreForm(forms.Form):
    """One points field and one comment per criterion of the review's scorecard."""

    comment = forms.CharField(
        label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args, criteria: list[Criterion], scores: dict[int, object] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            if criterion.scale == Criterion.Scale.YES_NO:
                choices = [("1", pgettext_lazy("flag", "yes")), ("0", pgettext_lazy("flag", "no"))]
            else:
                choices = [(str(n), str(n)) for n in range(criterion.max_points, -1, -1)]
            previous = (scores or {}).get(criterion.pk)
            self.fields[f"points_{criterion.pk}"] = forms.ChoiceField(
                label=criterion.name,
                choices=choices,
                widget=forms.RadioSelect,
                initial=str(previous.points) if previous else None,
                error_messages={"required": _("Score this criterion.")},
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label=_("Comment on %(criterion)s") % {"criterion": criterion.name},
                required=False,
                max_length=2000,
                initial=previous.comment if previous else "",
                widget=forms.TextInput(),
            )
        self.fields["comment"] = self.fields.pop("comment")

    def rows(self) -> list[dict]:
        return [
            {"criterion": c, "points": self[f"points_{c.pk}"], "comment": self[f"comment_{c.pk}"]}
            for c in self.criteria
        ]

    def scores(self) -> dict[int, CriterionScore]:
        return {
            c.pk: CriterionScore(
                int(self.cleaned_data[f"points_{c.pk}"]), self.cleaned_data[f"comment_{c.pk}"]
            )
            for c in self.criteria
        }


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you disagree?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecisionForm(ScoreForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note to the agent"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["comment"]
        # The criterion scores count only when the score is changed.
        for criterion in self.criteria:
            self.fields[f"points_{criterion.pk}"].required = False

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") == Review.Decision.CHANGED:
            for criterion in self.criteria:
                if data.get(f"points_{criterion.pk}") in (None, ""):
                    self.add_error(f"points_{criterion.pk}", _("Score this criterion."))
        return data
