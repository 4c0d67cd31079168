from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from channels_intake.forms import clean_phone_number
from complaints.models import Category


class PreChatForm(forms.Form):
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
    topic = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not sure – let us decide"),
        to_field_name="slug",
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Tick the box to agree, so that we can answer you.")},
        label=_(
            "I agree that my details and messages are processed to answer me, as the privacy notice says."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Category.objects.filter(parent__isnull=True).order_by("position")

    def clean_phone(self) -> str:
        return clean_phone_number(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors:
            self.add_error("email", _("Give an e-mail address or a mobile number so we can answer you."))
        return data
