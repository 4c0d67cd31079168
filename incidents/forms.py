"""Desk forms of incidents: each field says what the service needs; the view calls the service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Resolution, RootCause, Team

from .models import Incident


class IncidentForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    notice_zh = forms.CharField(
        label=_("Public notice (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    notice_en = forms.CharField(
        label=_("Public notice (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False)
    affected_area = forms.CharField(label=_("Affected area or product"), max_length=200, required=False)
    region_tags = forms.CharField(
        label=_("Region tags"), required=False, help_text=_("Separated by commas, e.g. 海淀区, 朝阳区")
    )
    severity = forms.TypedChoiceField(
        label=_("Severity"), choices=Incident.Severity.choices, coerce=int, initial=Incident.Severity.MAJOR
    )
    owner_team = forms.ModelChoiceField(label=_("Owner team"), queryset=Team.objects.all(), required=False)
    confirmed = forms.BooleanField(label=_("Already confirmed"), required=False)

    def clean_region_tags(self) -> list[str]:
        raw = self.cleaned_data["region_tags"].replace("，", ",")
        return [tag.strip() for tag in raw.split(",") if tag.strip()]


class UpdateForm(forms.Form):
    body_zh = forms.CharField(
        label=_("Update (Chinese)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    body_en = forms.CharField(
        label=_("Update (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    # A hidden key from the page: a double click or a resent form posts the update once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class ResolveForm(forms.Form):
    root_cause = forms.ModelChoiceField(
        label=_("Root cause"),
        queryset=RootCause.objects.filter(is_active=True),
        empty_label=_("Choose the root cause."),
    )
    steps_taken = forms.CharField(label=_("Steps taken"), widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(forms.Form):
    ticket = forms.CharField(label=_("Ticket reference"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RemedyForm(forms.Form):
    remedy = forms.ChoiceField(
        label=_("Remedy"), choices=Resolution.Remedy.choices, initial=Resolution.Remedy.APOLOGY
    )
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_digits=10, decimal_places=2, required=False
    )
