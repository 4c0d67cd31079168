"""Forms of the customer pages; every label and message is translated."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .services import normalise_reference

MAX_FILES = 5


class ReferenceField(forms.CharField):
    """A ticket reference as people type it, cleaned to CMP-XXXXXXXX."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Reference"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("It starts with CMP- and is in the e-mail or message we sent you."))
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )

    def clean(self, value: str) -> str:
        value = super().clean(value)
        reference = normalise_reference(value)
        if reference is None:
            raise forms.ValidationError(
                _("A reference looks like CMP-7K3M9Q2X: CMP- and 8 letters or digits."), code="format"
            )
        return reference


class TrackForm(forms.Form):
    reference = ReferenceField()
    contact = forms.CharField(
        label=_("E-mail or phone number"),
        max_length=254,
        help_text=_("The one you gave us when you submitted the complaint."),
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )


class LinkForm(forms.Form):
    """ "Send me my link": the reference, and how the customer would like it. It only ever goes to the
    contact on file, so nothing typed here is an address."""

    class Via:
        EMAIL = "email"
        SMS = "sms"

    reference = ReferenceField()
    via = forms.ChoiceField(
        label=_("Send it by"),
        choices=[(Via.EMAIL, _("By e-mail")), (Via.SMS, _("By text message (SMS)"))],
        initial=Via.EMAIL,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Its own ids: the lookup form beside it on /track/ has a "reference" too.
        kwargs.setdefault("auto_id", "id_link_%s")
        super().__init__(*args, **kwargs)

    def clean_via(self) -> str:
        return self.cleaned_data.get("via") or self.Via.EMAIL


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files from one input; checked by complaints.attachments in the view."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: object, initial: object = None) -> list:
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, list | tuple) else [data]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(count)s files.") % {"count": MAX_FILES}, code="too_many"
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )
    files = MultipleFileField(label=_("Attach files (optional)"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _(
            "Photos, screenshots, PDF, office documents, audio or video; up to %(count)s files, "
            "%(size)s each."
        ) % {"count": MAX_FILES, "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Its own ids: the reroute form on the same page also has a "reason".
        kwargs.setdefault("auto_id", "id_dispute_%s")
        super().__init__(*args, **kwargs)


class RerouteForm(forms.Form):
    reason = forms.CharField(
        label=_("Why should another team handle it?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "id_reroute_%s")
        super().__init__(*args, **kwargs)


class ConfirmForm(forms.Form):
    """No fields: the button is the answer (the form exists for CSRF and one code path)."""
