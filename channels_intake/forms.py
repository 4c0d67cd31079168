"""The public complaint form and the agents' phone-call log form."""

import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from complaints import policy, selectors
from complaints.attachments import check_uploads
from complaints.errors import ComplaintError
from complaints.models import Category
from complaints.models.tickets import REFERENCE_PATTERN

# Mainland mobile numbers (1[3-9]x xxxx xxxx), optionally with +86 / 0086.
CHINA_MOBILE = re.compile(r"^(?:\+86|0086|86)?1[3-9]\d{9}$")
# International numbers in E.164 form: + and 7 to 15 digits.
INTERNATIONAL = re.compile(r"^\+[1-9]\d{6,14}$")


def clean_phone_number(value: str) -> str:
    """A Chinese mobile or an international (+…) number, spaces, dashes and brackets removed."""
    compact = re.sub(r"[\s\-().]", "", value)
    if not compact:
        return ""
    if CHINA_MOBILE.match(compact) or INTERNATIONAL.match(compact):
        return compact
    raise forms.ValidationError(
        _("Enter a mainland mobile number (e.g. 138 0013 8000) or an international number starting with +.")
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by content in the form's clean()."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _limits_help() -> str:
    return _(
        "Images, PDF, office documents, audio or video; at most %(per_file)s per file and %(total)s in all."
    ) % {
        "per_file": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        "total": filesizeformat(settings.ATTACHMENTS_TOTAL_MAX_BYTES),
    }


class EvidenceMixin:
    def clean_files(self) -> list[UploadedFile]:
        uploads = self.cleaned_data.get("files") or []
        try:
            check_uploads(uploads)
        except ComplaintError as exc:
            raise forms.ValidationError(exc.message) from None
        return uploads


class ComplaintForm(EvidenceMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    customer_number = forms.CharField(
        label=_("Customer or account number"),
        max_length=64,
        required=False,
        help_text=_("As on your bill or in your account, if you have one."),
    )
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not sure – let us decide"),
        to_field_name="slug",
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    location = forms.CharField(label=_("Where did it happen?"), max_length=200, required=False)
    subject = forms.CharField(label=_("In a few words"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What happened?"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    desired_outcome = forms.CharField(
        label=_("What would you like us to do?"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = MultipleFileField(label=_("Evidence (optional)"), required=False)
    consent = forms.BooleanField(
        error_messages={"required": _("Tick the box to agree, so that we can handle your complaint.")},
        label=_(
            "I agree that my details and files are processed to handle this complaint, as the privacy notice says."
        ),
    )
    # Bots fill in every field; people never see this one.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(parent__isnull=True).order_by("position")
        self.fields["files"].help_text = _limits_help()
        self.fields["phone"].help_text = _("Mainland mobile, or international with +country code.")

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors:
            self.add_error("email", _("Give an e-mail address or a mobile number so we can answer you."))
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def intake_fields(self, *, language: str) -> dict[str, Any]:
        """The cleaned values as the intake item keeps them (JSON-ready)."""
        data = self.cleaned_data
        description = data["description"].strip()
        return {
            "name": data["name"],
            "phone": data["phone"],
            "email": data["email"],
            "customer_number": data["customer_number"].strip(),
            "order_number": data["order_number"],
            "category": data["category"].slug if data["category"] else "",
            "occurred_at": data["occurred_at"].isoformat() if data["occurred_at"] else "",
            "location": data["location"],
            "subject": data["subject"].strip() or description.splitlines()[0][:60],
            "description": description,
            "desired_outcome": data["desired_outcome"],
            "language": language,
            "consent": True,
        }


class PhoneCallForm(EvidenceMixin, forms.Form):
    class Direction:
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    caller_name = forms.CharField(label=_("Caller's name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Caller's number"), max_length=32)
    email = forms.EmailField(label=_("Caller's e-mail"), required=False)
    called_at = forms.DateTimeField(
        label=_("Time of the call"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Direction.INBOUND, _("The customer called us")),
            (Direction.OUTBOUND, _("We called the customer")),
        ],
        initial=Direction.INBOUND,
    )
    ticket_reference = forms.RegexField(
        label=_("Existing ticket"),
        regex=rf"^{REFERENCE_PATTERN}$",
        required=False,
        help_text=_("Leave empty to add the call to the caller's open ticket, or open a new one."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("Let the rules decide"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    summary = forms.CharField(label=_("Summary of the call"), widget=forms.Textarea(attrs={"rows": 6}))
    outcome = forms.CharField(
        label=_("Outcome / agreed next step"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    files = MultipleFileField(label=_("Recording or files (optional)"), required=False)
    call_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = Category.objects.order_by("parent_id", "position")
        self.fields["files"].help_text = _limits_help()

    def clean_phone(self) -> str:
        value = clean_phone_number(self.cleaned_data.get("phone", ""))
        if not value:
            raise forms.ValidationError(_("Enter the caller's number."))
        return value

    def clean_ticket_reference(self) -> str:
        reference = (self.cleaned_data.get("ticket_reference") or "").upper()
        # One answer for a ticket that does not exist and one the agent may not work on.
        if reference and not selectors.tickets_visible_to(self.user).filter(reference=reference).exists():
            raise forms.ValidationError(policy.no_such_ticket(reference).message)
        return reference

    def intake_fields(self, *, language: str) -> dict[str, Any]:
        data = self.cleaned_data
        direction = dict(self.fields["direction"].choices)[data["direction"]]
        lines = [
            f"{_('Phone call')} ({direction}), {data['called_at']:%Y-%m-%d %H:%M}",
            "",
            data["summary"].strip(),
        ]
        if data["outcome"].strip():
            lines += ["", f"{_('Outcome')}: {data['outcome'].strip()}"]
        outbound = data["direction"] == self.Direction.OUTBOUND
        return {
            "name": data["caller_name"],
            "phone": data["phone"],
            "email": data["email"],
            "category": data["category"].slug if data["category"] else "",
            "occurred_at": data["called_at"].isoformat(),
            "subject": data["subject"],
            "description": "\n".join(lines),
            "ticket_reference": data["ticket_reference"],
            # A call we made is our record of it (internal); the caller's words are their message.
            "message_kind": "note" if outbound and data["ticket_reference"] else "customer",
            "continue_open_ticket": not data["ticket_reference"],
            "language": language,
        }
