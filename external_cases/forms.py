"""Desk forms: register a forwarded case, record its report-back, choose a report's period."""

import re
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels_intake.forms import clean_phone_number
from complaints import policy, selectors
from complaints.models import Ticket
from complaints.models.tickets import REFERENCE_PATTERN

from .models import ExternalSource, ReportBack

DATETIME_INPUT = {"type": "datetime-local"}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
INTAKE_CHANNELS = [choice for choice in Ticket.Channel.choices if choice[0] != Ticket.Channel.API]


def _datetime_field(label: str, *, required: bool = True, **kwargs: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=forms.DateTimeInput(attrs=DATETIME_INPUT, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
        **kwargs,
    )


class RegisterCaseForm(forms.Form):
    """A case a regulator or platform forwarded: on the customer's earlier ticket, or as a new complaint."""

    source = forms.ModelChoiceField(
        label=_("Source"), queryset=ExternalSource.objects.none(), to_field_name="slug"
    )
    number = forms.CharField(label=_("External case number"), max_length=64)
    received_at = _datetime_field(_("Received"))
    regulator_contact = forms.CharField(
        label=_("Regulator's contact"),
        max_length=200,
        required=False,
        help_text=_("Who at the regulator or platform handles the case, and how to reach them."),
    )
    ticket_reference = forms.CharField(
        label=_("The customer's earlier complaint"),
        max_length=20,
        required=False,
        help_text=_(
            "The regulator assumes the customer complained to us first: name that ticket and the case goes "
            "on it (reopened if it was finished). Leave empty to open a new ticket below."
        ),
    )
    customer_name = forms.CharField(label=_("Customer's name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Customer's phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("Customer's e-mail"), required=False)
    channel = forms.ChoiceField(
        label=_("Answer the customer by"),
        choices=INTAKE_CHANNELS,
        initial=Ticket.Channel.PHONE,
        required=False,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What the customer complains about"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    desired_outcome = forms.CharField(
        label=_("What the customer asks for"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any = None, ticket: Ticket | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["source"].queryset = ExternalSource.objects.filter(is_active=True)
        self.fields["received_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if ticket is not None:
            # On a known ticket only the case's own facts are asked for.
            self.fields["ticket_reference"].initial = ticket.reference
            self.fields["ticket_reference"].widget = forms.HiddenInput()
            for name in (
                "customer_name",
                "phone",
                "email",
                "channel",
                "subject",
                "description",
                "desired_outcome",
            ):
                del self.fields[name]

    def clean_ticket_reference(self) -> str:
        reference = (self.cleaned_data.get("ticket_reference") or "").strip().upper()
        if reference and not re.fullmatch(REFERENCE_PATTERN, reference):
            raise forms.ValidationError(_("A ticket reference looks like CMP-8K3M2Q7X."))
        if reference and not selectors.tickets_visible_to(self.user).filter(reference=reference).exists():
            raise forms.ValidationError(policy.no_such_ticket(reference).message)
        return reference

    def clean_phone(self) -> str:
        return (
            clean_phone_number(self.cleaned_data.get("phone", "")) if self.cleaned_data.get("phone") else ""
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("ticket_reference") or "subject" not in self.fields:
            return data
        if not (data.get("phone") or data.get("email")):
            self.add_error(
                "phone", _("Give the customer's phone or e-mail, or name their earlier complaint.")
            )
        for name in ("subject", "description"):
            if not (data.get(name) or "").strip():
                self.add_error(name, _("Needed for a new ticket."))
        return data


class ReportBackForm(forms.Form):
    """The source's own report-back fields, in its order, then the outcome."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReportBack.Outcome.choices)

    def __init__(self, *args: Any, source: ExternalSource, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome = self.fields.pop("outcome")
        for field in source.fields:
            if field.kind == "datetime":
                form_field: forms.Field = _datetime_field(field.label, required=field.required)
            elif field.kind == "choice":
                form_field = forms.ChoiceField(
                    label=field.label, required=field.required, choices=[("", "—"), *field.choices]
                )
            elif field.kind == "textarea":
                form_field = forms.CharField(
                    label=field.label, required=field.required, widget=forms.Textarea(attrs={"rows": 4})
                )
            else:
                form_field = forms.CharField(label=field.label, required=field.required, max_length=500)
            self.fields[f"field_{field.key}"] = form_field
        self.fields["outcome"] = outcome
        self.source = source

    def values(self) -> dict[str, Any]:
        return {
            field.key: self.cleaned_data.get(f"field_{field.key}")
            for field in self.source.fields
            if self.cleaned_data.get(f"field_{field.key}") not in (None, "")
        }

    def field_name(self, key: str) -> str:
        return f"field_{key}"


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=ExternalSource.objects.all(), to_field_name="slug", required=False
    )

    def period(self) -> tuple[datetime, datetime]:
        """[start, end) in local time; the last 30 days by default, the end day included."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(start, datetime.min.time(), tzinfo=zone),
            datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone),
        )
