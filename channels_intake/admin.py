"""Supervisors' console for the intake channels: configuration, failed items, deliveries."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from complaints.admin.config_audit import AuditedModelAdmin
from complaints.console.setup import SetupStep, register_setup_step

from . import outbound, services, wechat
from .models import CustomerIdentity, InboundItem, Mailbox, OutboundMessage, WebhookChannel, WeChatAccount


class WriteOnlySecretForm(forms.ModelForm):
    """A form whose secret fields are never shown again; leaving one empty keeps the stored value."""

    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            field = self.fields[name]
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            # The form's initial data would otherwise carry the stored secret into the page.
            self.initial.pop(name, None)
            if self.instance.pk:
                field.required = False
                field.help_text = _(
                    "Stored encrypted and never shown. Leave empty to keep the current value."
                )

    def clean(self) -> dict:
        data = super().clean()
        for name in self.secret_fields:
            if self.instance.pk and not data.get(name):
                data[name] = getattr(type(self.instance).objects.get(pk=self.instance.pk), name)
        return data


class MailboxForm(WriteOnlySecretForm):
    secret_fields = ("password",)

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "host",
            "port",
            "security",
            "username",
            "password",
            "folder",
            "processed_folder",
            "default_category",
            "default_team",
            "batch_size",
            "is_active",
        ]


class WeChatAccountForm(WriteOnlySecretForm):
    secret_fields = ("token", "app_secret", "encoding_aes_key")

    class Meta:
        model = WeChatAccount
        fields = [
            "name",
            "slug",
            "kind",
            "original_id",
            "app_id",
            "token",
            "app_secret",
            "encoding_aes_key",
            "open_kfid",
            "is_active",
        ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Optional secrets: empty stays allowed on a new account too.
        for name in ("app_secret", "encoding_aes_key"):
            self.fields[name].required = False

    def clean(self) -> dict:
        data = super().clean()
        key = (data.get("encoding_aes_key") or "").strip()
        if key:
            try:
                wechat.encrypt(plain=b"", encoding_aes_key=key, app_id="")
            except wechat.WeChatError:
                self.add_error("encoding_aes_key", _("The EncodingAESKey has 43 letters, digits, + and /."))
            if not data.get("app_id"):
                self.add_error("app_id", _("The safe (AES) mode needs the AppID."))
        if data.get("app_secret") and not data.get("app_id"):
            self.add_error("app_id", _("Sending through the WeChat API needs the AppID."))
        if data.get("kind") == WeChatAccount.Kind.KF and not data.get("open_kfid"):
            self.add_error("open_kfid", _("Enterprise WeChat customer service needs the open_kfid."))
        return data


class WebhookChannelForm(WriteOnlySecretForm):
    secret_fields = ("secret",)

    class Meta:
        model = WebhookChannel
        fields = [
            "name",
            "slug",
            "channel",
            "secret",
            "callback_url",
            "callback_private_allowed",
            "is_active",
        ]


@admin.register(Mailbox)
class MailboxAdmin(AuditedModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "host", "port", "security", "folder", "is_active", "last_polled_at")
    list_filter = ("is_active",)
    readonly_fields = ("last_polled_at", "last_error")


@admin.register(WeChatAccount)
class WeChatAccountAdmin(AuditedModelAdmin):
    form = WeChatAccountForm
    list_display = ("name", "slug", "kind", "original_id", "is_active")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(WebhookChannel)
class WebhookChannelAdmin(AuditedModelAdmin):
    form = WebhookChannelForm
    list_display = ("name", "slug", "channel", "callback_url", "is_active")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(InboundItem)
class InboundItemAdmin(admin.ModelAdmin):
    list_display = ("received_at", "channel", "source_id", "state", "attempts", "ticket", "short_error")
    list_filter = ("state", "channel", "mailbox")
    search_fields = ("source_id", "ticket__reference")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
    # The raw payload holds contact data in clear; it stays encrypted and out of the console.
    exclude = ("raw",)
    readonly_fields = (
        "channel",
        "source_id",
        "state",
        "error",
        "attempts",
        "mailbox",
        "wechat_account",
        "webhook_channel",
        "actor",
        "ticket",
        "message",
        "received_at",
        "processed_at",
    )
    actions = ["reprocess"]

    @admin.display(description=_("error"))
    def short_error(self, item: InboundItem) -> str:
        return item.error[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Process the selected items again"), permissions=["change"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundItem]) -> None:
        outcome = services.reprocess_items(item_ids=list(queryset.values_list("pk", flat=True)))
        processed = outcome.get(InboundItem.State.PROCESSED, 0)
        failed = outcome.get(InboundItem.State.FAILED, 0)
        self.message_user(
            request,
            ngettext("%(n)d item processed.", "%(n)d items processed.", processed) % {"n": processed}
            + " "
            + ngettext("%(n)d item still failing.", "%(n)d items still failing.", failed) % {"n": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "purpose", "transport", "state", "attempts", "sent_at")
    list_filter = ("state", "transport", "purpose")
    search_fields = ("ticket__reference", "email_message_id")
    list_select_related = ("ticket",)
    # The recipient is contact data; a survey's detail holds its signed link.
    exclude = ("recipient", "detail")
    readonly_fields = (
        "key",
        "ticket",
        "message",
        "purpose",
        "transport",
        "email_message_id",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send the selected unsent deliveries again"), permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        pending = outbound.send_again(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": len(pending)})


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ("channel", "external_id", "customer", "created_at")
    list_filter = ("channel",)
    search_fields = ("external_id",)
    raw_id_fields = ("customer",)


# The admin index's set-up checklist (complaints.console.setup): where customers' e-mail comes in.
register_setup_step(
    SetupStep(
        key="mailbox",
        label=_("Connect a mailbox"),
        help=_("The IMAP mailbox customers write to; its mail becomes tickets."),
        url_name="admin:channels_intake_mailbox_add",
        done=lambda: Mailbox.objects.filter(is_active=True).exists(),
        order=40,
        required=False,
    )
)
