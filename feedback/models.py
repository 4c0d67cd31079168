"""Satisfaction follow-up: when and how to ask, the survey per resolution, answers and return visits (回访)."""

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Customer, Resolution, Team, Ticket
from complaints.models.bilingual import pick


def new_survey_token() -> str:
    """12 random URL-safe characters: the survey's identity inside its signed link."""
    return secrets.token_urlsafe(9)


class SurveyPolicy(models.Model):
    """When a resolved ticket's customer is asked, and what their answer sets off.

    The first active policy by position whose criteria all match the ticket applies;
    a policy without criteria is the default. Without any, the field defaults apply.
    """

    class OnResolveAgain(models.TextChoices):
        NEVER = "never", _("Never ask again")
        IF_NOT_SOLVED = "if_not_solved", _("Ask again if the customer said it was not solved")
        ALWAYS = "always", _("Always ask again")

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    match_kind = models.CharField(_("kind is"), max_length=16, blank=True, choices=Ticket.Kind.choices)
    match_category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category is (or is under)"),
    )
    match_channel = models.CharField(
        _("channel is"), max_length=16, blank=True, choices=Ticket.Channel.choices
    )
    send_survey = models.BooleanField(
        _("send a survey"),
        default=True,
        help_text=_("Untick to ask nothing for tickets this policy matches."),
    )
    delay_minutes = models.PositiveIntegerField(_("delay after resolution (minutes)"), default=24 * 60)
    quiet_start = models.TimeField(_("quiet hours start"), default=time(22, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=time(8, 0))
    time_zone = models.CharField(
        _("customers' time zone"),
        max_length=64,
        blank=True,
        help_text=_("Quiet hours are counted in this zone; empty: the site's time zone."),
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), default=3, help_text=_("One reminder if still unanswered; 0: none.")
    )
    answer_within_days = models.PositiveSmallIntegerField(
        _("answer within (days)"), default=14, help_text=_("After this the survey link expires.")
    )
    edit_within_days = models.PositiveSmallIntegerField(_("answer can be changed for (days)"), default=7)
    on_resolve_again = models.CharField(
        _("when a reopened ticket is resolved again"),
        max_length=16,
        choices=OnResolveAgain.choices,
        default=OnResolveAgain.IF_NOT_SOLVED,
    )
    low_rating_threshold = models.PositiveSmallIntegerField(
        _("low rating threshold"),
        default=2,
        help_text=_("A rating at or below this opens a return visit for the team lead."),
    )
    return_visit_due_hours = models.PositiveIntegerField(_("return visit due within (hours)"), default=24)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(low_rating_threshold__gte=0, low_rating_threshold__lte=5),
                name="survey_policy_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def matches(self, ticket: Ticket) -> bool:
        if self.match_kind and self.match_kind != ticket.kind:
            return False
        if self.match_channel and self.match_channel != ticket.channel:
            return False
        if self.match_category_id:
            category = ticket.category
            if category is None or self.match_category_id not in (category.pk, category.parent_id):
                return False
        return True


class SurveyReason(models.Model):
    """A reason the customer can tick ("slow answer", "friendly staff"); supervisors keep the list."""

    slug = models.SlugField(unique=True, max_length=60)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("survey reason")
        verbose_name_plural = _("survey reasons")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick(self.label_zh, self.label_en)


class Survey(models.Model):
    """The one survey about one resolution, from scheduling to its answer or end.

    A "chat" survey is the one-click rating at the end of a live chat: it has no resolution,
    is answered the moment it is made, and never counts as the ticket's resolution survey.
    """

    class Kind(models.TextChoices):
        RESOLUTION = "resolution", _("After a resolution")
        CHAT = "chat", _("End of a live chat")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        REMINDED = "reminded", _("Reminded")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        # WeChat, or an app's or Weibo's callback (feedback/channels.py).
        CUSTOMER_CHANNEL = "channel", _("The customer's channel")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.RESOLUTION)
    resolution = models.OneToOneField(
        Resolution,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey",
        verbose_name=_("resolution"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="surveys", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    policy = models.ForeignKey(
        SurveyPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SCHEDULED)
    token = models.CharField(max_length=24, unique=True, default=new_survey_token, editable=False)
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed delivery attempts"), default=0)
    last_error = models.TextField(_("last delivery error"), blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        indexes = [
            models.Index(fields=["state", "send_after"], name="survey_state_send_after"),
            models.Index(fields=["state", "remind_at"], name="survey_state_remind_at"),
            models.Index(fields=["state", "expires_at"], name="survey_state_expires_at"),
            models.Index(fields=["sent_at"], name="survey_sent_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="scheduled") | Q(state="cancelled") | Q(sent_at__isnull=False),
                name="survey_delivered_has_sent_at",
            ),
            models.CheckConstraint(
                condition=Q(kind="resolution", resolution__isnull=False)
                | Q(kind="chat", resolution__isnull=True),
                name="survey_resolution_iff_not_chat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} · {self.get_state_display()}"


class SurveyAnswer(models.Model):
    """What the customer answered; they may change it until `edit_until`."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="answer")
    rating = models.PositiveSmallIntegerField(_("rating"))
    solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    reasons = models.ManyToManyField(
        SurveyReason, blank=True, related_name="answers", verbose_name=_("reasons")
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"))
    updated_at = models.DateTimeField(_("last changed"))
    edit_until = models.DateTimeField(_("can be changed until"))
    # Set once the "not solved" answer has reopened the ticket, so a later edit does not do it again.
    reopened_ticket = models.BooleanField(_("reopened the ticket"), default=False, editable=False)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="survey_answer_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.ticket.reference}: {self.rating}/5"


class ReturnVisit(models.Model):
    """A return visit (回访): the team lead calls a dissatisfied customer back and records the outcome."""

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Customer now satisfied")
        REMEDY_OFFERED = "remedy_offered", _("Further remedy offered")
        EXPLAINED = "explained", _("Explained; customer still dissatisfied")
        REOPENED = "reopened", _("Ticket reopened for more work")
        UNREACHABLE = "unreachable", _("Customer unreachable")
        DECLINED = "declined", _("Customer declined to talk")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="return_visits", verbose_name=_("ticket")
    )
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="return_visit")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="return_visits",
        verbose_name=_("assignee"),
    )
    reason = models.CharField(_("why"), max_length=300)
    due_at = models.DateTimeField(_("due"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)

    class Meta:
        ordering = ["completed_at", "due_at", "pk"]
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        indexes = [models.Index(fields=["assignee", "completed_at", "due_at"], name="return_visit_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, outcome="")
                | Q(completed_at__isnull=False) & ~Q(outcome=""),
                name="return_visit_outcome_iff_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} · {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None
