"""Cases that come back from regulators and public platforms (工信部申诉, 12315, 12345, 黑猫投诉 …),
with someone else's deadline, and the escalation-risk flag on complaints that threaten to go there."""

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.config_cache import ConfigQuerySet
from complaints.models import Team, Ticket
from complaints.models.bilingual import pick
from sla.models import BusinessCalendar, parse_thresholds, validate_thresholds

REPORT_FIELD_KINDS = ("text", "textarea", "datetime", "choice")


def validate_report_fields(value: Any) -> None:
    """A list of {key, label_zh, label_en, required, kind, choices?}; keys unique, slug-like."""
    if not isinstance(value, list):
        raise ValidationError(_("The report-back fields must be a list of field definitions."))
    seen: set[str] = set()
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ValidationError(_("Field %(n)s is not an object.") % {"n": position})
        key = str(item.get("key", ""))
        if not key or not key.replace("_", "").isalnum() or not key.isascii():
            raise ValidationError(
                _("Field %(n)s needs a key of letters, digits and underscores.") % {"n": position}
            )
        if key in seen:
            raise ValidationError(_("The key %(key)s is used twice.") % {"key": key})
        seen.add(key)
        if not (item.get("label_zh") and item.get("label_en")):
            raise ValidationError(_("Field %(key)s needs a Chinese and an English label.") % {"key": key})
        kind = item.get("kind", "text")
        if kind not in REPORT_FIELD_KINDS:
            raise ValidationError(
                _("Field %(key)s: the kind must be one of %(kinds)s.")
                % {"key": key, "kinds": ", ".join(REPORT_FIELD_KINDS)}
            )
        if kind == "choice" and not item.get("choices"):
            raise ValidationError(_("Field %(key)s is a choice and needs its choices.") % {"key": key})


def validate_number_pattern(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(_("Not a regular expression: %(error)s") % {"error": exc}) from None


class ReportField:
    """One field a source asks for in the report-back, read from ExternalSource.report_fields."""

    def __init__(self, definition: dict[str, Any]) -> None:
        self.key: str = definition["key"]
        self.label_zh: str = definition.get("label_zh", "")
        self.label_en: str = definition.get("label_en", "")
        self.required: bool = bool(definition.get("required", False))
        self.kind: str = definition.get("kind", "text")
        # Choices as [{"value", "label_zh", "label_en"}] or plain strings.
        self.choices: list[tuple[str, str]] = [
            (c, c) if isinstance(c, str) else (c["value"], pick(c.get("label_zh", ""), c.get("label_en", "")))
            for c in definition.get("choices", [])
        ]

    @property
    def label(self) -> str:
        return pick(self.label_zh, self.label_en)


class ExternalSource(models.Model):
    """Where forwarded cases come from, with that source's deadline rule and report-back form."""

    class Kind(models.TextChoices):
        MIIT = "miit", _("MIIT telecom appeal (工信部申诉)")
        ODR_12315 = "12315", _("12315 / online dispute resolution")
        HOTLINE_12345 = "12345", _("12345 city hotline")
        PUBLIC_PLATFORM = "platform", _("Public complaint platform (e.g. 黑猫投诉)")
        MEDIA = "media", _("Media")
        LEGAL = "legal", _("Court or lawyer's letter")
        OTHER = "other", _("Other")

    class DeadlineUnit(models.TextChoices):
        HOURS = "hours", _("hours (on the calendar; 24×7 counts every hour)")
        CALENDAR_DAYS = "calendar_days", _("calendar days (to the end of the last day)")
        WORKING_DAYS = "working_days", _("working days (to the end of the last working day)")

    slug = models.SlugField(unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    deadline_amount = models.PositiveIntegerField(_("deadline"), default=10)
    deadline_unit = models.CharField(
        _("deadline unit"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("calendar"),
        help_text=_("The business calendar the deadline is counted on; empty: around the clock."),
    )
    warning_thresholds = models.CharField(
        _("warn at (percent of the time allowed)"),
        max_length=40,
        default="50,80",
        blank=True,
        validators=[validate_thresholds],
    )
    report_fields = models.JSONField(
        _("report-back fields"),
        default=list,
        blank=True,
        validators=[validate_report_fields],
        help_text=_(
            'In the order the source asks for them: [{"key": "result", "label_zh": "协商结果", '
            '"label_en": "Negotiation result", "required": true, "kind": "text"}]; kinds: text, textarea, '
            'datetime, choice (with "choices").'
        ),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("route to team"),
    )
    priority = models.PositiveSmallIntegerField(
        _("raise priority to"),
        choices=Ticket.Priority.choices,
        null=True,
        blank=True,
        help_text=_("Empty: keep the ticket's priority."),
    )
    mailbox = models.OneToOneField(
        "channels_intake.Mailbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="external_source",
        verbose_name=_("forwarding mailbox"),
        help_text=_(
            "Mail arriving in this mailbox is a case forwarded by this source: it opens a ticket with an "
            "external case of this source."
        ),
    )
    number_pattern = models.CharField(
        _("case number in the subject"),
        max_length=200,
        blank=True,
        validators=[validate_number_pattern],
        help_text=_(
            "A regular expression that finds the case number in a forwarded mail's subject, e.g. "
            "ODR\\d{8,}; with a group, the group is the number. Empty, or not found: the case is "
            "registered without a number and flagged for an agent to fill in."
        ),
    )
    allowed_senders = models.CharField(
        _("senders allowed to forward"),
        max_length=500,
        blank=True,
        help_text=_(
            "Domains or addresses, separated by commas, whose mail in the forwarding mailbox opens cases, "
            "e.g. 12315.cn, miit.gov.cn (a domain covers its subdomains). Empty: none. Mail from anyone "
            "else, or that our mail server could not verify, is kept as a failed inbound item."
        ),
    )
    customer_route_zh = models.TextField(
        _("outside route for customers (Chinese)"),
        blank=True,
        help_text=_(
            "Told to a customer with the resolution (mail and ticket page) as where else they may turn "
            "if they dispute it, e.g. 12315 or the MIIT appeal centre (12300). Empty: not offered."
        ),
    )
    customer_route_en = models.TextField(_("outside route for customers (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("sort order"), default=100)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("external source")
        verbose_name_plural = _("external sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_amount__gt=0), name="external_source_deadline_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)

    @property
    def customer_route(self) -> str:
        return pick(self.customer_route_zh, self.customer_route_en)

    def allows_sender(self, address: str) -> bool:
        """Whether `address` is one of the allowed senders' (an address, or a domain or its subdomain)."""
        address = (address or "").strip().lower()
        domain = address.rpartition("@")[2]
        if not domain:
            return False
        for entry in re.split(r"[\s,;]+", self.allowed_senders.lower()):
            entry = entry.strip().lstrip("@")
            if not entry:
                continue
            if "@" in entry:
                if entry == address:
                    return True
            elif domain == entry or domain.endswith("." + entry):
                return True
        return False

    def number_in(self, subject: str) -> str:
        """The case number the source's pattern finds in a mail subject, or ""."""
        if not self.number_pattern:
            return ""
        found = re.search(self.number_pattern, subject or "")
        if found is None:
            return ""
        return (found.group(1) if found.groups() else found.group(0)) or ""

    @property
    def thresholds(self) -> list[int]:
        return parse_thresholds(self.warning_thresholds)

    @property
    def fields(self) -> list[ReportField]:
        return [ReportField(definition) for definition in self.report_fields or []]

    @property
    def deadline_label(self) -> str:
        return f"{self.deadline_amount} {self.get_deadline_unit_display().split(' (')[0]}"


class ExternalCase(models.Model):
    """A case a regulator or platform forwarded about a ticket, on that source's clock."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting report-back")
        REPORTED = "reported", _("Reported back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="external_cases", verbose_name=_("ticket")
    )
    source = models.ForeignKey(
        ExternalSource, on_delete=models.PROTECT, related_name="cases", verbose_name=_("source")
    )
    number = models.CharField(_("external case number"), max_length=64)
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("report back by"))
    regulator_contact = models.CharField(_("regulator's contact"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    reported_at = models.DateTimeField(_("reported back"), null=True, blank=True)
    # Alerts fire once each: the sweep moves these under a row lock.
    warned_percent = models.PositiveSmallIntegerField(default=0)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("deadline missed"), null=True, blank=True)
    next_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("external case")
        verbose_name_plural = _("external cases")
        constraints = [
            # A case forwarded by mail without a findable number waits, blank, for an agent to fill it.
            models.UniqueConstraint(
                fields=["source", "number"], condition=~Q(number=""), name="external_case_number_per_source"
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(reported_at__isnull=False) | Q(state="withdrawn"),
                name="external_case_reported_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_alert_at"],
                name="external_case_next_alert",
                condition=Q(next_alert_at__isnull=False),
            ),
            models.Index(fields=["state", "due_at"], name="external_case_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def needs_number(self) -> bool:
        """Registered from a forwarded mail without a number: an agent fills it in."""
        return not self.number

    @property
    def is_overdue(self) -> bool:
        if self.is_open:
            return timezone.now() > self.due_at
        return self.reported_at is not None and self.reported_at > self.due_at

    @property
    def clock_state(self) -> str:
        """on_track / at_risk / breached / met (Ticket.SlaState values, so pages reuse the SLA badges)."""
        if not self.is_open:
            if self.state == self.State.WITHDRAWN:
                return Ticket.SlaState.NONE
            return Ticket.SlaState.BREACHED if self.is_overdue else Ticket.SlaState.MET
        if self.is_overdue or self.breached_at:
            return Ticket.SlaState.BREACHED
        if self.warned_percent:
            return Ticket.SlaState.AT_RISK
        return Ticket.SlaState.ON_TRACK

    def get_clock_state_display(self) -> str:
        return str(Ticket.SlaState(self.clock_state).label)


class ReportBack(models.Model):
    """What was reported to the source, in its fields, by whom and when; one per case."""

    class Outcome(models.TextChoices):
        SETTLED = "settled", _("Settled")
        PARTLY_SETTLED = "partly_settled", _("Partly settled")
        NOT_SETTLED = "not_settled", _("Not settled")
        CUSTOMER_UNREACHABLE = "unreachable", _("Customer could not be reached")
        WITHDRAWN = "withdrawn", _("Withdrawn by the customer")

    case = models.OneToOneField(
        ExternalCase, on_delete=models.CASCADE, related_name="report_back", verbose_name=_("external case")
    )
    values = models.JSONField(_("values"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("report-back")
        verbose_name_plural = _("report-backs")

    def __str__(self) -> str:
        return f"{self.case} ({self.get_outcome_display()})"


class RiskKeyword(models.Model):
    """A word that signals a complaint may go to a regulator or the media (升级投诉风险)."""

    class Language(models.TextChoices):
        ZH = "zh", _("Chinese")
        EN = "en", _("English")

    text = models.CharField(
        _("word or phrase"),
        max_length=100,
        help_text=_(
            "Chinese matches anywhere in the text; English and numbers (12315) only as whole words, "
            "so a phone number such as 13812345678 does not match 12345."
        ),
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["language", "text"]
        verbose_name = _("escalation-risk keyword")
        verbose_name_plural = _("escalation-risk keywords")
        constraints = [models.UniqueConstraint(fields=["language", "text"], name="risk_keyword_unique")]

    def __str__(self) -> str:
        return self.text


class EscalationRisk(models.Model):
    """The flag on a ticket whose customer may take it outside: why, and what was done about it."""

    class Reason(models.TextChoices):
        THREAT = "threat", _("Threatens a regulator or the media")
        EARLIER_CASE = "earlier_case", _("Customer had an earlier external case")
        EXTERNAL_CASE = "external_case", _("Forwarded by a regulator or platform")

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="escalation_risk", verbose_name=_("ticket")
    )
    reasons = models.JSONField(_("reasons"), default=list)
    keywords = models.JSONField(_("words found"), default=list, blank=True)
    flagged_at = models.DateTimeField(_("flagged"), default=timezone.now)

    class Meta:
        ordering = ["-flagged_at"]
        verbose_name = _("escalation risk")
        verbose_name_plural = _("escalation risks")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {', '.join(self.reasons)}"

    @property
    def reason_labels(self) -> list[str]:
        return [str(self.Reason(reason).label) for reason in self.reasons if reason in self.Reason.values]
