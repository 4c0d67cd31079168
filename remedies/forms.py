"""Forms of the approvals queue: approve (optionally at a changed amount) and refuse, with a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave as proposed, or change it (say why)."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why refuse"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
