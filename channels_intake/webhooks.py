"""Signed JSON pushes from in-app feedback and other platforms: signature, replay window, payload."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.api.parsers import JSONRefused, loads_strict
from complaints.errors import ComplaintError
from complaints.models.tickets import REFERENCE_PATTERN

# A push is a complaint's text and a few fields (description up to 20,000 characters): larger is refused.
MAX_BODY_BYTES = 256 * 1024


class WebhookRefused(ComplaintError):
    """A push we refuse, with its HTTP status and a reason the sender can act on."""

    def __init__(self, message: str, *, status: int, code: str, **detail: object) -> None:
        super().__init__(message, **detail)
        self.http_status = status
        self.code = code


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of `timestamp.body`, hex: what X-Signature must carry."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(*, secret: str, timestamp: str, signature: str, body: bytes, now: float) -> None:
    """Refuse a push that is unsigned, mis-signed or outside the replay window."""
    if not timestamp or not signature:
        raise WebhookRefused(
            _("Send X-Timestamp (Unix seconds) and X-Signature (HMAC-SHA256 of 'timestamp.body')."),
            status=401,
            code="signature_missing",
        )
    try:
        # Unix seconds have 10 digits for centuries; a longer number would overflow the float compare.
        if len(timestamp) > 12:
            raise ValueError(timestamp)
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRefused(
            _("X-Timestamp must be Unix seconds."), status=401, code="timestamp_invalid"
        ) from None
    window = settings.INTAKE["WEBHOOK_MAX_SKEW_SECONDS"]
    if abs(now - sent_at) > window:
        raise WebhookRefused(
            _("The timestamp is more than %(n)s seconds from our clock: a replay or a wrong clock.")
            % {"n": window},
            status=401,
            code="timestamp_out_of_window",
        )
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected, signature.strip().lower().removeprefix("sha256=")):
        raise WebhookRefused(
            _("The signature does not match the body."), status=401, code="signature_invalid"
        )


class WebhookPayloadForm(forms.Form):
    """The JSON fields a push may carry; errors are reported per field."""

    subject = forms.CharField(max_length=200, required=False)
    description = forms.CharField(max_length=20000)
    reference = forms.RegexField(regex=rf"^{REFERENCE_PATTERN}$", required=False)
    user_id = forms.CharField(max_length=100, required=False)
    name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False)
    phone = forms.RegexField(regex=r"^\+?[0-9][0-9 \-]{5,19}$", required=False)
    category = forms.SlugField(required=False)
    order_number = forms.CharField(max_length=64, required=False)
    occurred_at = forms.DateTimeField(required=False)
    desired_outcome = forms.CharField(max_length=5000, required=False)
    language = forms.ChoiceField(choices=[("zh-hans", "zh-hans"), ("en", "en")], required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("user_id") or data.get("email") or data.get("phone") or data.get("reference")):
            raise forms.ValidationError(
                gettext_lazy("Identify the customer: user_id, email or phone (or the ticket reference).")
            )
        return data


@dataclass(frozen=True)
class WebhookPayload:
    description: str
    subject: str = ""
    reference: str = ""
    user_id: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    category: str = ""
    order_number: str = ""
    occurred_at: datetime | None = None
    desired_outcome: str = ""
    language: str = ""

    @classmethod
    def from_json(cls, body: str | bytes) -> "WebhookPayload":
        """Parse and validate a push body; raises WebhookRefused (400) naming every bad field."""
        try:
            data = loads_strict(body)
        except JSONRefused as exc:
            raise WebhookRefused(
                _("The body is not valid JSON: %(error)s") % {"error": exc}, status=400, code="invalid_json"
            ) from None
        if not isinstance(data, dict):
            raise WebhookRefused(_("The body must be a JSON object."), status=400, code="invalid_json")
        not_text = [k for k, v in data.items() if k in WebhookPayloadForm.base_fields and not _scalar(v)]
        if not_text:
            raise WebhookRefused(
                _("These fields must be strings: %(fields)s") % {"fields": ", ".join(sorted(not_text))},
                status=400,
                code="invalid_payload",
                fields={k: [_("Must be a string.")] for k in not_text},
            )
        form = WebhookPayloadForm(data={k: "" if v is None else str(v) for k, v in data.items()})
        if not form.is_valid():
            errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
            raise WebhookRefused(
                _("The payload is not valid."), status=400, code="invalid_payload", fields=errors
            )
        clean = form.cleaned_data
        return cls(**{name: clean.get(name) or ("" if name != "occurred_at" else None) for name in clean})


def _scalar(value: object) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))
