"""Hand-offs (side conversations): a ticket's question to a partner outside the desk (a supplier, a
logistics company, or a department without desk access) by e-mail, on its own thread, with its own
due time on a business calendar."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Message, Ticket
from complaints.models.tickets import CROCKFORD_ALPHABET
from sla.models import BusinessCalendar

HANDOFF_REFERENCE_PATTERN = r"HO-[0-9A-HJKMNP-TV-Z]{8}"


def new_handoff_reference() -> str:
    """HO- and 8 random Crockford base-32 characters: a reply's subject names its hand-off, unguessably."""
    return "HO-" + "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(8))


class Partner(models.Model):
    """Someone outside the desk a ticket waits on, reached by e-mail."""

    class Kind(models.TextChoices):
        EXTERNAL = "external", _("External contact (supplier, logistics company)")
        DEPARTMENT = "department", _("Internal department (no desk access)")

    class Language(models.TextChoices):
        ZH = "zh-hans", "简体中文"
        EN = "en", "English"

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.EXTERNAL)
    email = models.EmailField(
        _("e-mail address"), help_text=_("Hand-offs are sent here; replies from another address are flagged.")
    )
    escalation_email = models.EmailField(
        _("escalation address"),
        blank=True,
        help_text=_("Where an escalated hand-off goes as well (a manager); empty: the address above only."),
    )
    response_hours = models.PositiveIntegerField(
        _("response time (business hours)"),
        default=8,
        help_text=_("The time the partner has to answer, counted on the calendar below."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
        help_text=_("The business calendar the response time is counted on; empty: around the clock."),
    )
    language = models.CharField(
        _("language of the e-mails"), max_length=8, choices=Language.choices, default="zh-hans"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("hand-off partner")
        verbose_name_plural = _("hand-off partners")
        constraints = [
            models.CheckConstraint(condition=~Q(email=""), name="handoff_partner_has_email"),
            models.CheckConstraint(
                condition=Q(response_hours__gte=1), name="handoff_partner_response_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Handoff(models.Model):
    """One side conversation of a ticket with a partner."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting on the partner")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_handoff_reference, editable=False
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("ticket")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("partner")
    )
    subject = models.CharField(_("subject"), max_length=200)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    pauses_resolution = models.BooleanField(
        _("pause the customer's resolution clock"),
        default=False,
        help_text=_("Off: the promise to the customer stands while the partner works."),
    )
    shares_customer_contact = models.BooleanField(_("customer's contact details included"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    warn_at = models.DateTimeField(_("warn from"))
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue_warned_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    last_reply_at = models.DateTimeField(_("last answer"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders"), default=0)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    close_note = models.TextField(_("closing note"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        indexes = [
            models.Index(fields=["state", "warn_at"], name="handoff_open_warn_idx"),
            models.Index(fields=["state", "due_at"], name="handoff_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True)
                | Q(state="closed", closed_at__isnull=False),
                name="handoff_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.partner}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.first_reply_at is None and self.due_at <= timezone.now()

    @property
    def clock_state(self) -> str:
        """on_track, at_risk or breached (the SLA badge classes); met once answered or closed."""
        if not self.is_open or self.first_reply_at is not None:
            return "met"
        now = timezone.now()
        if self.due_at <= now:
            return "breached"
        return "at_risk" if self.warn_at <= now else "on_track"


class HandoffMail(models.Model):
    """One e-mail of a hand-off's thread: ours to the partner (queued, then sent by a task) or an answer."""

    class Direction(models.TextChoices):
        OUT = "out", _("To the partner")
        IN = "in", _("From the partner")

    class Purpose(models.TextChoices):
        OPENING = "opening", _("Hand-off")
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")
        ANSWER = "answer", _("Answer")

    class DeliveryState(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        RECEIVED = "received", _("Received")

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="mails")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    email_message_id = models.CharField(max_length=255, db_index=True)
    address = models.CharField(
        _("address"), max_length=254, help_text=_("The recipient, or the sender of an answer.")
    )
    cc = models.CharField(max_length=254, blank=True)
    body = models.TextField(_("text"))
    flagged = models.BooleanField(
        _("flagged"), default=False, help_text=_("An answer from another address than the partner's.")
    )
    note = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("hand-off e-mail")
        verbose_name_plural = _("hand-off e-mails")

    def __str__(self) -> str:
        return f"{self.handoff.reference} {self.get_purpose_display()}"
