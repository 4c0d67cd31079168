"""The assistant's rows: the desk's own words, trained model versions, settings, suggestions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints.config_cache import ConfigQuerySet


class AssistTerm(models.Model):
    """A word the segmenter must keep whole (a product or plan name, 卡密, 宽带)."""

    word = models.CharField(_("word"), max_length=40, unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["word"]
        verbose_name = _("dictionary word")
        verbose_name_plural = _("dictionary words")

    def __str__(self) -> str:
        return self.word


class AssistModel(models.Model):
    """One trained classifier: its file, when and on how many tickets, and how well it did on held-out ones."""

    trained_at = models.DateTimeField(_("trained"))
    training_size = models.PositiveIntegerField(_("training tickets"))
    accuracy = models.FloatField(_("held-out category accuracy"))
    # field -> held-out accuracy, and macro-F1 of the category.
    scores = models.JSONField(_("held-out scores"), default=dict)
    path = models.CharField(_("file"), max_length=500)
    is_current = models.BooleanField(_("in use"), default=False)

    class Meta:
        ordering = ["-trained_at"]
        get_latest_by = "trained_at"
        verbose_name = _("trained model")
        verbose_name_plural = _("trained models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=models.Q(is_current=True), name="assist_one_current_model"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.trained_at:%Y-%m-%d} ({self.accuracy:.0%})"


class AssistSettings(models.Model):
    """The supervisor's switches: one row."""

    auto_apply_confidence = models.FloatField(
        _("apply suggestions at or above this confidence"),
        null=True,
        blank=True,
        help_text=_("Between 0 and 1, e.g. 0.85. Empty: the assistant only suggests (the default)."),
    )
    minimum_accuracy = models.FloatField(
        _("apply only while the model's held-out accuracy is at least"),
        default=0.85,
        help_text=_("Between 0 and 1. Below it the assistant only suggests, whatever the confidence."),
    )

    objects = ConfigQuerySet.as_manager()

    class Meta:
        verbose_name = _("assistant settings")
        verbose_name_plural = _("assistant settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_apply_confidence__isnull=True)
                | models.Q(auto_apply_confidence__gte=0, auto_apply_confidence__lte=1),
                name="assist_confidence_is_a_fraction",
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_accuracy__gte=0, minimum_accuracy__lte=1),
                name="assist_accuracy_is_a_fraction",
            ),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "AssistSettings":
        return cls.objects.get_or_create(pk=1)[0]


class AssistSuggestion(models.Model):
    """What the assistant suggested for a ticket when it opened, with its confidence and reasons."""

    ticket = models.OneToOneField(
        "complaints.Ticket",
        on_delete=models.CASCADE,
        related_name="assist_suggestion",
        verbose_name=_("ticket"),
    )
    model = models.ForeignKey(
        AssistModel, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("model")
    )
    category = models.ForeignKey(
        "complaints.Category", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("category")
    )
    team = models.ForeignKey(
        "complaints.Team", on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("team")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    # field -> probability of the suggested value
    confidence = models.JSONField(_("confidence"), default=dict)
    # the words that weighed most for the suggested category
    reasons = models.JSONField(_("reasons"), default=list)
    applied = models.BooleanField(_("applied automatically"), default=False)
    # What the ticket had before the assistant applied its suggestion: {"category": id, "priority": n,
    # "team": id}, so a person's review (PIPL Art. 24) can put it back.
    applied_from = models.JSONField(default=dict, blank=True, editable=False)
    review_requested_at = models.DateTimeField(
        _("customer asked for a person's review"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("suggested"), auto_now_add=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.category_id}"


class FaqOpen(models.Model):
    """A visitor of the complaint form opened a suggested FAQ article; `submitted_at` is set when the same
    visitor (a random key their browser keeps for the tab) then sent the form anyway. An article opened
    and never followed by a complaint counts as answered by the FAQ (deflection)."""

    visitor = models.CharField(max_length=64)
    article = models.ForeignKey(
        "complaints.KBArticle", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(_("complaint sent anyway"), null=True, blank=True)

    class Meta:
        verbose_name = _("FAQ article opened from the complaint form")
        verbose_name_plural = _("FAQ articles opened from the complaint form")
        constraints = [models.UniqueConstraint(fields=["visitor", "article"], name="assist_faq_open_once")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.opened_at:%Y-%m-%d %H:%M}"
