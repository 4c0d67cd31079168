"""Remedies promised to customers: the remedy with its approval, the rules that decide who signs it
off, and the fulfilment item that proves it reached the customer."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Resolution, RootCause, Team, Ticket

RemedyType = Resolution.Remedy
# The core's remedy types without "none": one list for the resolution and the remedy.
REMEDY_TYPES = [(value, label) for value, label in RemedyType.choices if value != RemedyType.NONE]
# Types carried out after approval (money or goods); an apology or explanation is the resolution itself.
FULFILLED_TYPES = frozenset(
    {
        RemedyType.REFUND,
        RemedyType.COMPENSATION,
        RemedyType.REPLACEMENT,
        RemedyType.REISSUE,
        RemedyType.BILL_CREDIT,
        RemedyType.VOUCHER,
    }
)
# Types that pay the customer: counted by the abuse guard and the compensation history.
MONEY_TYPES = frozenset(
    {RemedyType.REFUND, RemedyType.COMPENSATION, RemedyType.BILL_CREDIT, RemedyType.VOUCHER}
)
DEFAULT_DUE_DAYS = 7


class ApprovalLevel(models.IntegerChoices):
    AGENT = 0, _("The agent")
    TEAM_LEAD = 1, _("A team lead")
    SUPERVISOR = 2, _("A supervisor")


class ApprovalRule(models.Model):
    """Who signs a remedy off: the most specific active rule (type and category, then either, then
    neither) decides by the amount; a customer's earlier compensations may call a supervisor in."""

    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    remedy_type = models.CharField(
        _("remedy type"), max_length=16, choices=REMEDY_TYPES, blank=True, help_text=_("Empty: any type.")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("category"),
        help_text=_("Empty: any category; a category also covers its subcategories."),
    )
    agent_limit = models.DecimalField(
        _("the agent up to"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("50.00"),
        help_text=_(
            "The limits judge the ticket's total: its approved and awaiting remedies plus the new one."
        ),
    )
    lead_limit = models.DecimalField(
        _("a team lead up to"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("500.00"),
        help_text=_("Above this a supervisor approves."),
    )
    ceiling = models.DecimalField(
        _("ceiling"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("10000.00"),
        help_text=_("Amounts above this are refused outright."),
    )
    abuse_count = models.PositiveSmallIntegerField(
        _("earlier remedies that call a supervisor in"),
        null=True,
        blank=True,
        help_text=_(
            "When the customer already had this many approved remedies with an amount in the period."
        ),
    )
    abuse_days = models.PositiveSmallIntegerField(_("period (days)"), default=30)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(agent_limit__gte=0)
                & Q(lead_limit__gte=models.F("agent_limit"))
                & Q(ceiling__gte=models.F("lead_limit")),
                name="approval_rule_limits_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class FulfilmentTerm(models.Model):
    """How many days a remedy type has to reach the customer once approved."""

    remedy_type = models.CharField(_("remedy type"), max_length=16, choices=REMEDY_TYPES, unique=True)
    days = models.PositiveSmallIntegerField(_("days"), default=DEFAULT_DUE_DAYS)

    class Meta:
        ordering = ["remedy_type"]
        verbose_name = _("fulfilment term")
        verbose_name_plural = _("fulfilment terms")

    def __str__(self) -> str:
        return f"{self.get_remedy_type_display()}: {self.days}"


class Remedy(models.Model):
    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        CHANGED = "changed", _("Approved with a changed amount")
        REFUSED = "refused", _("Refused")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="remedies", verbose_name=_("ticket")
    )
    remedy_type = models.CharField(_("remedy type"), max_length=16, choices=REMEDY_TYPES)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=0)
    proposed_amount = models.DecimalField(_("proposed amount"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.AWAITING_APPROVAL
    )
    required_level = models.PositiveSmallIntegerField(
        _("who approves"), choices=ApprovalLevel.choices, default=ApprovalLevel.AGENT
    )
    rule = models.ForeignKey(
        ApprovalRule, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("approval rule")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # The resolution held back while the remedy awaits approval, applied through the core on approval.
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, verbose_name=_("root cause"))
    steps_taken = models.TextField(_("steps taken"))
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="remedy_amount_not_negative"),
            # One remedy at a time waits for approval on a ticket.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state="awaiting_approval"),
                name="one_awaiting_remedy_per_ticket",
            ),
        ]
        indexes = [models.Index(fields=["state", "proposed_at"], name="remedy_state_proposed")]

    def __str__(self) -> str:
        return f"{self.get_remedy_type_display()} {self.amount} {self.currency}"

    @property
    def is_approved(self) -> bool:
        return self.state in (self.State.APPROVED, self.State.CHANGED)


class Fulfilment(models.Model):
    """An approved remedy carried out: pending until finance (or an integration) records it done."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    remedy = models.OneToOneField(
        Remedy, on_delete=models.CASCADE, related_name="fulfilment", verbose_name=_("remedy")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField(_("due"))
    reference = models.CharField(_("payment or transaction reference"), max_length=100, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    warned_at = models.DateTimeField(_("overdue warning sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("fulfilment item")
        verbose_name_plural = _("fulfilment items")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | ~Q(reference=""), name="fulfilment_done_has_reference"
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="fulfilment_state_due")]

    def __str__(self) -> str:
        return f"{self.remedy} ({self.get_state_display()})"
