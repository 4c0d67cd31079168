"""Quality inspection (质检), corrective actions and the public disclosure snapshot.

Scorecards and their criteria are configured in the console; a weekly sample puts Review rows
into the inspectors' queue; an inspector scores each criterion (ReviewScore); the agent may
appeal once and a lead decides. Corrective actions tie a problem (a root cause or a category and
the complaints that show it) to an owner, a due date and a measured effect. The transparency
page is served from TransparencySnapshot, computed by beat, never from the tickets directly.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, RootCause, Team, Ticket
from complaints.models.bilingual import pick


class QualitySettings(models.Model):
    """The one row of settings a quality lead changes in the console (created on first use)."""

    sample_per_agent = models.PositiveSmallIntegerField(
        _("random sample per agent and week"),
        default=3,
        help_text=_("Closed tickets drawn at random for each agent every week, besides the mandatory ones."),
    )
    low_rating_at_most = models.PositiveSmallIntegerField(
        _("low survey rating (at most)"),
        default=2,
        help_text=_("A ticket whose survey was rated at or below this is always inspected."),
    )
    appeal_within_days = models.PositiveSmallIntegerField(
        _("appeal within (days)"), default=7, help_text=_("How long an agent may appeal a review.")
    )
    effectiveness_weeks = models.PositiveSmallIntegerField(
        _("effectiveness window (weeks)"),
        default=4,
        help_text=_("A corrective action's effect: the complaint rate this many weeks after against before."),
    )

    class Meta:
        verbose_name = _("quality settings")
        verbose_name_plural = _("quality settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(low_rating_at_most__gte=1, low_rating_at_most__lte=5),
                name="quality_settings_low_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(effectiveness_weeks__gte=1), name="quality_settings_weeks_min"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Quality settings"))

    @classmethod
    def current(cls) -> "QualitySettings":
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class Scorecard(models.Model):
    """A set of weighted criteria a ticket's handling is scored on; a team may have its own."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Empty: the scorecard for every team that has none of its own."),
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, help_text=_("A review passes at or above this share of the points.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["team__slug", "pk"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="scorecard_pass_mark_max"),
        ]

    def __str__(self) -> str:
        return pick(self.name_zh, self.name_en)


class Criterion(models.Model):
    """One thing the inspector checks, scored 0–N points or yes/no; a critical one failed fails the review."""

    class Scale(models.TextChoices):
        POINTS = "points", _("Points 0–N")
        YES_NO = "yes_no", _("Yes / no")

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("scorecard")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    guidance_zh = models.TextField(_("guidance (Chinese)"), blank=True)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices, default=Scale.POINTS)
    max_points = models.PositiveSmallIntegerField(
        _("highest score (N)"), default=5, help_text=_("For yes/no criteria this is 1.")
    )
    is_critical = models.BooleanField(
        _("critical"),
        default=False,
        help_text=_("Scored 0 (or 'no'), this criterion fails the whole review whatever the other scores."),
    )

    class Meta:
        ordering = ["scorecard", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gte=1), name="criterion_max_points_min"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="criterion_weight_min"),
            models.CheckConstraint(
                condition=~Q(scale="yes_no") | Q(max_points=1), name="criterion_yes_no_is_one_point"
            ),
        ]

    def __str__(self) -> str:
        return pick(self.name_zh, self.name_en)

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)

    @property
    def guidance(self) -> str:
        return pick(self.guidance_zh, self.guidance_en)


class SamplingRun(models.Model):
    """One week's sample, drawn once: the unique week makes a second run (or a second beat) a no-op."""

    week_start = models.DateField(_("week starting"), unique=True)
    created_at = models.DateTimeField(_("drawn"), auto_now_add=True)
    sampled = models.PositiveIntegerField(_("tickets sampled"), default=0)

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("sampling run")
        verbose_name_plural = _("sampling runs")

    def __str__(self) -> str:
        return self.week_start.isoformat()


class Review(models.Model):
    """One inspection of one ticket's handling, from the queue to a final score."""

    class Reason(models.TextChoices):
        RANDOM = "random", _("Random sample")
        LOW_RATING = "low_rating", _("Low survey rating")
        DISPUTED = "disputed", _("Customer disputed the resolution")
        REOPENED = "reopened", _("Reopened")
        EXTERNAL_CASE = "external_case", _("External case")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for inspection")
        SCORED = "scored", _("Scored")
        APPEALED = "appealed", _("Appealed")
        DECIDED = "decided", _("Appeal decided")

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Score upheld")
        CHANGED = "changed", _("Score changed")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    week_start = models.DateField(_("week starting"))
    reason = models.CharField(_("why sampled"), max_length=16, choices=Reason.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_reviews",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspections",
        verbose_name=_("inspector"),
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    score = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    critical_failed = models.BooleanField(_("critical criterion failed"), default=False)
    comment = models.TextField(_("overall comment"), blank=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    # The inspector's first score, kept when a lead changes it on appeal.
    original_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    appeal_reason = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("sampled"), auto_now_add=True)

    class Meta:
        ordering = ["-week_start", "pk"]
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        permissions = [
            ("inspect_review", _("Can inspect tickets (score reviews)")),
            ("decide_appeal", _("Can decide appeals against reviews")),
        ]
        indexes = [
            models.Index(fields=["inspector", "state"], name="review_inspector_state"),
            models.Index(fields=["agent", "state"], name="review_agent_state"),
            models.Index(fields=["state", "scored_at"], name="review_state_scored"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "week_start"], name="review_once_per_ticket_week"),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(score__isnull=False, scored_at__isnull=False),
                name="review_scored_has_score",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["appealed", "decided"]) | Q(appealed_at__isnull=False),
                name="review_appeal_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} · {self.week_start.isoformat()}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    points = models.PositiveSmallIntegerField(_("points"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["criterion__position", "criterion_id"]
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_once_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.points}"


class CorrectiveAction(models.Model):
    """A fix at the source (从源头上减少投诉): the problem, what is done about it, by whom and by when."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"))
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("root cause"),
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    tickets = models.ManyToManyField(
        Ticket, blank=True, related_name="+", verbose_name=_("complaints that show the problem")
    )
    ticket_filter = models.CharField(
        _("saved filter"),
        max_length=500,
        blank=True,
        help_text=_(
            "The console's ticket list filter that shows the problem, e.g. category__id__exact=3 "
            "(copy it from the list's address after the ?)."
        ),
    )
    action = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Shown on the transparency page with its public summary.")
    )
    public_summary_zh = models.TextField(_("public summary (Chinese)"), blank=True)
    public_summary_en = models.TextField(_("public summary (English)"), blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("opened"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    overdue_warned_at = models.DateTimeField(_("overdue warning sent"), null=True, blank=True, editable=False)
    # The effect, stored once the window after completion has passed (quality.corrective).
    effect_weeks = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    rate_before = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True, editable=False)
    rate_after = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True, editable=False)
    effect_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["status", "due_date", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [models.Index(fields=["status", "due_date"], name="corrective_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(root_cause__isnull=False) | Q(category__isnull=False),
                name="corrective_action_has_cause_or_category",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False),
                name="corrective_action_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def public_summary(self) -> str:
        return pick(self.public_summary_zh, self.public_summary_en)


class TransparencySettings(models.Model):
    """What the public page shows: a supervisor chooses the sections and the smallest count shown."""

    show_volumes = models.BooleanField(_("complaints received and resolved"), default=True)
    show_categories = models.BooleanField(_("complaints by category"), default=True)
    show_timeliness = models.BooleanField(_("answered and resolved within the promised time"), default=True)
    show_resolution_time = models.BooleanField(_("average time to resolve"), default=True)
    show_satisfaction = models.BooleanField(_("satisfaction"), default=True)
    show_causes = models.BooleanField(_("top causes and what was done"), default=True)
    minimum_count = models.PositiveSmallIntegerField(
        _("smallest count shown"),
        default=10,
        help_text=_("A figure based on fewer complaints (or answers) than this is not published."),
    )
    months = models.PositiveSmallIntegerField(_("months shown"), default=12)

    class Meta:
        verbose_name = _("transparency settings")
        verbose_name_plural = _("transparency settings")
        constraints = [
            models.CheckConstraint(condition=Q(minimum_count__gte=1), name="transparency_minimum_count_min"),
            models.CheckConstraint(
                condition=Q(months__gte=1, months__lte=36), name="transparency_months_range"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Transparency settings"))

    @classmethod
    def current(cls) -> "TransparencySettings":
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class TransparencySnapshot(models.Model):
    """The public figures as computed at one moment; the page and API read only the newest."""

    computed_at = models.DateTimeField(_("computed"), db_index=True)
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        get_latest_by = "computed_at"
        verbose_name = _("transparency snapshot")
        verbose_name_plural = _("transparency snapshots")

    def __str__(self) -> str:
        return self.computed_at.isoformat()


class ReviewPackDelivery(models.Model):
    """The monthly review pack was e-mailed: once per month (the unique month decides)."""

    month = models.DateField(_("month"), unique=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("review pack delivery")
        verbose_name_plural = _("review pack deliveries")

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")
