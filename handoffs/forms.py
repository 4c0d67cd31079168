"""Desk forms: open a hand-off, close / escalate it, choose a report's period."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .models import Partner


class OpenHandoffForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=Partner.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=services.SUBJECT_MAX_CHARS)
    body = forms.CharField(
        label=_("Message to the partner"),
        max_length=services.BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Sent as you write it. The customer's contact details are not included unless you tick below."
        ),
    )
    include_customer_contact = forms.BooleanField(
        label=_("Include the customer's name, phone and e-mail"), required=False
    )
    pauses_resolution = forms.BooleanField(
        label=_("Pause the customer's resolution clock while the partner works"),
        required=False,
        help_text=_("Off by default: the promise to the customer stands."),
    )
    response_hours = forms.IntegerField(
        label=_("Answer due within (business hours)"),
        required=False,
        min_value=1,
        max_value=services.MAX_RESPONSE_HOURS,
        help_text=_("Empty: the partner's usual response time."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = selectors.active_partners()


class HandoffNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=services.NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReportPeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

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
