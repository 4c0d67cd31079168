import functools
import secrets
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from complaints.events import PUBLIC_EVENT_KINDS, EventKind
from complaints.states import OPEN_STATUSES, Status

from .customers import Customer
from .organisation import Category, RootCause, RoutingRule, Team

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = r"CMP-[0-9A-HJKMNP-TV-Z]{8}"


def new_reference() -> str:
    """CMP- and 8 random Crockford base-32 characters: 40 bits, never sequential."""
    return "CMP-" + "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(8))


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    APP = "app", _("In-app")
    API = "api", _("API")
    CHAT = "chat", _("Live chat")


class Kind(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 – urgent")
    P2 = 2, _("P2 – high")
    P3 = 3, _("P3 – normal")
    P4 = 4, _("P4 – low")


class Complexity(models.TextChoices):
    SIMPLE = "simple", _("Simple")
    COMPLEX = "complex", _("Complex")


MAX_ESCALATION_LEVEL = 3


class SlaState(models.TextChoices):
    """Summary of a ticket's SLA clocks, kept by the sla app through services.update_sla_summary."""

    NONE = "none", _("No target")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")


class TicketQuerySet(models.QuerySet):
    def open(self) -> "TicketQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class QuickChoiceLabels(models.Model):
    """get_FOO_display() from a label table built once per field.

    Django's version hashes every (lazy, so translated) label of the field on each call: with the
    ~30 event kinds that was 40 % of rendering a timeline of 100 entries, and a share of every list.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field) -> str:
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(value, value), strings_only=True)


@functools.cache
def _choice_labels(field: models.Field) -> dict[object, str]:
    return dict(field.flatchoices)


class Ticket(QuickChoiceLabels):
    Status = Status
    Channel = Channel
    Kind = Kind
    Priority = Priority
    Complexity = Complexity
    SlaState = SlaState

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_reference, editable=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    complexity = models.CharField(
        _("complexity"), max_length=16, choices=Complexity.choices, default=Complexity.SIMPLE
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # Optimistic concurrency: every change bumps it; a change based on an older one is refused.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what happened"))
    order_number = models.CharField(_("order / account number"), max_length=64, blank=True, db_index=True)
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    location = models.CharField(_("where it happened"), max_length=200, blank=True)
    desired_outcome = models.TextField(_("desired outcome"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")

    routing_rule = models.ForeignKey(
        RoutingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("routing rule"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    related_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    is_spam = models.BooleanField(_("spam"), default=False)
    # Denormalised from the SLA clocks so queues sort and filter on one table.
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SlaState.choices, default=SlaState.NONE, editable=False
    )
    sla_due_at = models.DateTimeField(_("next SLA due"), null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True, editable=False)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # Set when retention or an erasure removed the personal data from the ticket's texts and files.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [("export_tickets", _("Can export tickets and reports"))]
        indexes = [
            models.Index(fields=["team", "status", "sla_due_at"], name="ticket_team_status_due"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_created"),
            # The desk's two main queues in the order they are shown (SLA due, no target last),
            # over open tickets only: a page of 25 is read straight off the index, however long
            # the queue or the history.
            models.Index(
                fields=["assignee", "sla_due_at", "priority", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="ticket_open_mine_due",
            ),
            models.Index(
                fields=["team", "sla_due_at", "priority", "id"],
                condition=Q(status__in=sorted(OPEN_STATUSES), assignee__isnull=True),
                name="ticket_open_unassigned_due",
            ),
            # A supervisor's "all tickets" in the same order.
            models.Index(fields=["sla_due_at", "priority", "id"], name="ticket_due_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_level__lte=MAX_ESCALATION_LEVEL), name="ticket_escalation_level_max"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="ticket_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True) | ~Q(duplicate_of=models.F("id")),
                name="ticket_not_duplicate_of_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Message(QuickChoiceLabels):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("From the customer")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    body = models.TextField(_("message"))
    # Where it came from outside (e-mail Message-ID, WeChat MsgId); unique per channel when set.
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_path(instance: "Attachment", filename: str) -> str:
    """A random stored name: nothing the uploader chose reaches the file system."""
    suffix = PurePath(filename).suffix.lower()[:10]
    token = uuid.uuid4().hex
    return f"attachments/{token[:2]}/{token}{suffix if suffix.isascii() else ''}"


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class AppendOnly(Exception):
    """Raised on any attempt to change or delete a ticket event."""


class TicketEvent(QuickChoiceLabels):
    """One line of a ticket's audit timeline. Written once by a service, never changed."""

    Kind = EventKind

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("event"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_value = models.CharField(_("from"), max_length=100, blank=True)
    to_value = models.CharField(_("to"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # A reason the system gives (complaints.events.SystemReason) is stored as its code and
    # parameters and put into words in the reader's language; `reason` holds what a person wrote.
    reason_code = models.CharField(max_length=40, blank=True)
    reason_params = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        from complaints.timeline import event_change  # the timeline reads these models

        return f"{self.get_kind_display()} {event_change(self)}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnly("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ticket events are append-only.")

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_EVENT_KINDS


class Resolution(models.Model):
    class Remedy(models.TextChoices):
        REFUND = "refund", _("Refund")
        COMPENSATION = "compensation", _("Compensation")
        REPLACEMENT = "replacement", _("Replacement")
        REISSUE = "reissue", _("Re-issue")
        BILL_CREDIT = "bill_credit", _("Bill credit")
        VOUCHER = "voucher", _("Voucher")
        APOLOGY = "apology", _("Apology")
        EXPLANATION = "explanation", _("Explanation")
        NONE = "none", _("None")

    class CustomerResponse(models.TextChoices):
        PENDING = "pending", _("Waiting for the customer")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="resolutions", verbose_name=_("ticket")
    )
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, verbose_name=_("root cause"))
    steps_taken = models.TextField(_("steps taken"))
    remedy = models.CharField(_("remedy"), max_length=16, choices=Remedy.choices, default=Remedy.NONE)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    customer_response = models.CharField(
        _("customer's answer"),
        max_length=16,
        choices=CustomerResponse.choices,
        default=CustomerResponse.PENDING,
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    dispute_reason = models.TextField(_("why it is not solved"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = "created_at"
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="resolution_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_remedy_display()}"
