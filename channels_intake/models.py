"""Inbound items stored raw before processing, channel configuration, identities and deliveries."""

import base64
import datetime
import uuid
from email.utils import make_msgid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import pii
from complaints.models import Category, Customer, Message, Resolution, Team, Ticket
from complaints.models.tickets import Channel


class InboundItem(models.Model):
    """One thing that arrived from outside, kept exactly as received before anything is made of it."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # E-mail Message-ID, WeChat MsgId, webhook Idempotency-Key, web form submission id.
    source_id = models.CharField(_("source id"), max_length=255)
    # Raw payload, encrypted: it carries the customer's contact data. E-mail is base64 of the bytes.
    raw = pii.EncryptedTextField(_("raw payload"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Keyed hash of the sender (e-mail/OpenID): per-sender rate caps without clear text.
    sender_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    mailbox = models.ForeignKey(
        "Mailbox", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    wechat_account = models.ForeignKey(
        "WeChatAccount", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    webhook_channel = models.ForeignKey(
        "WebhookChannel", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_items"
    )
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_items"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("inbound item")
        verbose_name_plural = _("inbound items")
        constraints = [
            models.UniqueConstraint(fields=["channel", "source_id"], name="inbound_item_unique_source"),
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="inbound_state_received")]
        permissions = [("log_phone_call", _("Can log phone calls"))]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.source_id[:60]}"

    @property
    def raw_bytes(self) -> bytes:
        return base64.b64decode(self.raw)

    @staticmethod
    def encode_bytes(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")


def inbound_file_path(instance: "InboundFile", filename: str) -> str:
    return f"inbound/{uuid.uuid4().hex}"


class InboundFile(models.Model):
    """An uploaded file of a web form or phone-call item, kept so the item can be reprocessed."""

    item = models.ForeignKey(InboundItem, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=inbound_file_path, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return self.original_name


class CustomerIdentity(models.Model):
    """A customer's identity on a channel that has no e-mail or phone (WeChat OpenID, app user id)."""

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="customer_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.external_id}"


class Mailbox(models.Model):
    """An IMAP mailbox the poller reads; its address is where customers write and replies come from."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (local test servers only)")

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"), help_text=_("The address customers write to."))
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(_("security"), max_length=16, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password = pii.EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("processed folder"),
        max_length=255,
        blank=True,
        help_text=_("Move processed mail here; leave empty to mark it read (\\Seen) instead."),
    )
    default_category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("default category")
    )
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("default team"),
        help_text=_("Takes the mail when no routing rule or category names a team."),
    )
    batch_size = models.PositiveIntegerField(_("batch size"), default=50)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class WeChatAccount(models.Model):
    """A WeChat official account (or an Enterprise WeChat customer-service account) whose server URL is
    /intake/wechat/<slug>/; with its AppSecret, agents' replies go out as customer-service messages."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Official account (客服消息)")
        KF = "kf", _("Enterprise WeChat customer service (微信客服)")

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    original_id = models.CharField(
        _("original id"), max_length=64, blank=True, help_text=_("gh_… : the account's own id.")
    )
    app_id = models.CharField(_("AppID"), max_length=64, blank=True)
    token = pii.EncryptedTextField(_("token"), help_text=_("The server-configuration token (signature)."))
    kind = models.CharField(_("account type"), max_length=16, choices=Kind.choices, default=Kind.OFFICIAL)
    app_secret = pii.EncryptedTextField(
        _("AppSecret"),
        blank=True,
        help_text=_(
            "For sending replies through the WeChat API (the corp secret for Enterprise WeChat). "
            "Empty: replies reach WeChat customers by e-mail or SMS only."
        ),
    )
    encoding_aes_key = pii.EncryptedTextField(
        _("EncodingAESKey"),
        blank=True,
        help_text=_("The 43-character key of the safe (AES) message mode; empty for plain-text mode."),
    )
    open_kfid = models.CharField(
        _("customer-service account id (open_kfid)"),
        max_length=64,
        blank=True,
        help_text=_("Enterprise WeChat customer service only."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("WeChat account")
        verbose_name_plural = _("WeChat accounts")

    def __str__(self) -> str:
        return self.name


class WebhookChannel(models.Model):
    """A platform that pushes signed JSON to /intake/webhooks/<slug>/."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("ticket channel"),
        max_length=16,
        choices=[(Channel.WEIBO, Channel.WEIBO.label), (Channel.APP, Channel.APP.label)],
        default=Channel.APP,
    )
    secret = pii.EncryptedTextField(_("secret"))
    callback_url = models.URLField(
        _("callback URL"),
        max_length=500,
        blank=True,
        help_text=_(
            "Replies, status updates and survey links for this channel's users are POSTed here as signed "
            "JSON. Empty: they reach the customer by e-mail or SMS only."
        ),
    )
    callback_private_allowed = models.BooleanField(
        _("callback may be a private address"),
        default=False,
        help_text=_(
            "Allow a callback URL on a loopback, private or link-local address (an app server inside "
            "our own network). Leave off for anything on the internet."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook channel")
        verbose_name_plural = _("webhook channels")

    def __str__(self) -> str:
        return self.name


def new_message_id() -> str:
    return make_msgid(domain=settings.INTAKE["MESSAGE_ID_DOMAIN"])


def outbox_deadline() -> datetime.datetime:
    """When a queued delivery nobody has sent counts as stranded (its publish lost) and is re-queued."""
    return timezone.now() + datetime.timedelta(seconds=settings.OUTBOX_REQUEUE_AFTER)


class OutboundMessage(models.Model):
    """One message to a customer (acknowledgement, reply or resolution notice): the delivery record and
    the send queue.

    `key` is unique, so an event handled twice or a retried task never makes a second delivery.
    """

    class Purpose(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
        REPLY = "reply", _("Reply")
        RESOLUTION = "resolution", _("Resolution notice")
        STATUS = "status", _("Status update")
        SURVEY = "survey", _("Satisfaction survey")

    class Transport(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat customer-service message")
        WECHAT_PASSIVE = "wechat_passive", _("WeChat passive reply")
        CALLBACK = "callback", _("Signed callback (app, Weibo)")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        # Outside WeChat's 48-hour window with no other way to the customer: sent on their next message.
        WAITING = "waiting", _("Waiting for the customer's next message")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=100, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="deliveries")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The resolution a resolution notice tells of (a ticket resolved twice has two notices).
    resolution = models.ForeignKey(
        Resolution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    # What a status update or survey says (the status, the survey link), fixed when it is queued.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    transport = models.CharField(_("transport"), max_length=16, choices=Transport.choices)
    recipient = pii.EncryptedTextField(_("recipient"))
    # Our Message-ID, fixed before the first attempt so a resend is recognisably the same mail.
    email_message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The outbox: a queued delivery still queued at this time is published again by the periodic
    # requeue_stranded_deliveries (the publish after commit may have failed; sending twice is harmless).
    requeue_after = models.DateTimeField(_("re-queue after"), default=outbox_deadline, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery to a customer")
        verbose_name_plural = _("deliveries to customers")
        indexes = [
            models.Index(fields=["state", "created_at"], name="outbound_state_created"),
            models.Index(fields=["state", "requeue_after"], name="outbound_state_requeue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(transport="email") | ~Q(email_message_id=""),
                name="outbound_email_has_message_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.ticket_id} ({self.get_state_display()})"
