"""Mass incidents: one outage, many complaints, handled as one.

An Incident groups the tickets one fault caused (IncidentLink), keeps its own timeline
(IncidentEvent), and tells every linked customer the same public update once
(IncidentUpdate, with one IncidentDelivery per ticket). SurgeThreshold says, per category,
how many new tickets in how many minutes make a suspected incident.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.models import Category, Resolution, RootCause, Team, Ticket
from complaints.models.bilingual import pick

# Used for a category without its own threshold row.
DEFAULT_MIN_TICKETS = 10
DEFAULT_WINDOW_MINUTES = 60
DEFAULT_SIMILARITY = 0.45
# The incident's own targets when its plan sets none: the first public update within 30 minutes of
# confirmation, then one at least every 2 hours until it is resolved.
DEFAULT_FIRST_UPDATE_MINUTES = 30
DEFAULT_UPDATE_EVERY_MINUTES = 120


class Incident(models.Model):
    class Status(models.TextChoices):
        SUSPECTED = "suspected", _("Suspected")
        # Not the ticket's "Confirmed" (已受理): an incident is confirmed as real (已确认).
        CONFIRMED = "confirmed", pgettext_lazy("incident status", "Confirmed")
        MITIGATED = "mitigated", _("Mitigated")
        RESOLVED = "resolved", _("Resolved")

    class Severity(models.IntegerChoices):
        CRITICAL = 1, _("Critical")
        MAJOR = 2, _("Major")
        MINOR = 3, _("Minor")

    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    notice_zh = models.TextField(_("public notice (Chinese)"), blank=True)
    notice_en = models.TextField(_("public notice (English)"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("category"),
    )
    affected_area = models.CharField(_("affected area or product"), max_length=200, blank=True)
    region_tags = models.JSONField(_("region tags"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUSPECTED)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, default=Severity.MAJOR
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner team")
    )
    # What resolving all linked tickets files them under (each ticket keeps its own remedy on its link).
    root_cause = models.ForeignKey(
        RootCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("root cause"),
    )
    steps_taken = models.TextField(_("steps taken"), blank=True)
    # One suspected incident per surge: two sweeps that see the same burst compute the same key.
    surge_key = models.CharField(max_length=120, null=True, blank=True, unique=True, editable=False)
    # Open linked tickets when "resolve all" began (progress: how many of them are no longer open).
    resolve_total = models.PositiveIntegerField(default=0, editable=False)
    # The incident's service level: when the next public update is due, and whether its lateness was told.
    update_due_at = models.DateTimeField(_("next public update due"), null=True, blank=True, editable=False)
    update_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    mitigated_at = models.DateTimeField(_("mitigated"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("major incident")
        verbose_name_plural = _("major incidents")
        permissions = [("link_any_ticket", _("Can link any team's tickets to an incident"))]
        indexes = [models.Index(fields=["status", "category"], name="incident_status_category")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def title(self) -> str:
        return pick(self.title_zh, self.title_en)

    @property
    def notice(self) -> str:
        return pick(self.notice_zh, self.notice_en)

    def notice_in(self, language: str) -> str:
        return (
            (self.notice_zh or self.notice_en)
            if language.startswith("zh")
            else (self.notice_en or self.notice_zh)
        )

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def update_is_late(self) -> bool:
        from django.utils import timezone

        return self.update_due_at is not None and self.update_due_at < timezone.now()


class IncidentLink(models.Model):
    """A ticket the incident caused; a ticket belongs to at most one incident at a time."""

    class How(models.TextChoices):
        SURGE = "surge", _("Found in the surge")
        ON_OPEN = "on_open", _("Matched when it was opened")
        MANUAL = "manual", _("Linked by hand")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="incident_link")
    how = models.CharField(_("how"), max_length=16, choices=How.choices, default=How.MANUAL)
    # This customer's own remedy when the incident resolves all (e.g. 补偿 5 元话费).
    remedy = models.CharField(
        _("remedy"), max_length=16, choices=Resolution.Remedy.choices, default=Resolution.Remedy.APOLOGY
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, default=Decimal("0"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        verbose_name = _("linked ticket")
        verbose_name_plural = _("linked tickets")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="incident_link_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} ↔ {self.ticket_id}"


class IncidentEvent(models.Model):
    """The incident's own append-only timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        SURGE_DETECTED = "surge_detected", _("Surge detected")
        CONFIRMED = "confirmed", pgettext_lazy("incident status", "Confirmed")
        MITIGATED = "mitigated", _("Mitigated")
        RESOLVED = "resolved", _("Resolved")
        LINKED = "linked", _("Ticket linked")
        UNLINKED = "unlinked", _("Ticket unlinked")
        UPDATE_POSTED = "update_posted", _("Public update posted")
        PLAN_STARTED = "plan_started", _("Emergency plan started")
        STEP_DONE = "step_done", _("Emergency plan step done")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class IncidentUpdate(models.Model):
    """A public update told to every linked open ticket's customer, once (idempotency key)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    body_zh = models.TextField(_("update (Chinese)"), blank=True)
    body_en = models.TextField(_("update (English)"), blank=True)
    idempotency_key = models.CharField(max_length=100)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Open linked tickets when it was posted (progress: deliveries written so far).
    total = models.PositiveIntegerField(_("to send"), default=0)
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("public update")
        verbose_name_plural = _("public updates")
        constraints = [
            models.UniqueConstraint(fields=["incident", "idempotency_key"], name="incident_update_once")
        ]

    def __str__(self) -> str:
        return self.body

    @property
    def body(self) -> str:
        return pick(self.body_zh, self.body_en)

    def body_in(self, language: str) -> str:
        return (self.body_zh or self.body_en) if language.startswith("zh") else (self.body_en or self.body_zh)


class IncidentDelivery(models.Model):
    """The update reached this ticket: written with the reply, so each ticket is told once."""

    update = models.ForeignKey(IncidentUpdate, on_delete=models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    message_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update", "ticket"], name="incident_delivery_once")]

    def __str__(self) -> str:
        return f"{self.update_id} → {self.ticket_id}"


class SurgeThreshold(models.Model):
    """More than `min_tickets` new tickets within `window_minutes` in the category make a surge."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="surge_threshold", verbose_name=_("category")
    )
    min_tickets = models.PositiveIntegerField(_("more than this many tickets"), default=DEFAULT_MIN_TICKETS)
    window_minutes = models.PositiveIntegerField(_("within minutes"), default=DEFAULT_WINDOW_MINUTES)
    similarity = models.FloatField(_("similarity (0–1)"), default=DEFAULT_SIMILARITY)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("surge threshold")
        verbose_name_plural = _("surge thresholds")
        constraints = [
            models.CheckConstraint(condition=Q(min_tickets__gte=1), name="surge_min_tickets_positive"),
            models.CheckConstraint(condition=Q(window_minutes__gte=1), name="surge_window_positive"),
            models.CheckConstraint(
                condition=Q(similarity__gte=0) & Q(similarity__lte=1), name="surge_similarity_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.category)


class Playbook(models.Model):
    """An emergency plan (应急预案) for incidents of one category (the default plan has none): the steps
    to take, each with its owner and a deadline counted from the incident's confirmation."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    category = models.OneToOneField(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="playbook",
        verbose_name=_("category"),
        help_text=_("Leave empty for the plan used when the incident's category has none."),
    )
    first_update_minutes = models.PositiveIntegerField(
        _("first public update within (minutes after confirmation)"), default=DEFAULT_FIRST_UPDATE_MINUTES
    )
    update_every_minutes = models.PositiveIntegerField(
        _("then a public update at least every (minutes)"), default=DEFAULT_UPDATE_EVERY_MINUTES
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(category__isnull=True), name="one_default_playbook"
            )
        ]

    def __str__(self) -> str:
        return pick(self.name_zh, self.name_en)


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title_zh = models.CharField(_("step (Chinese)"), max_length=200)
    title_en = models.CharField(_("step (English)"), max_length=200)
    owner_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner team")
    )
    due_minutes = models.PositiveIntegerField(_("due (minutes after confirmation)"), default=60)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")

    def __str__(self) -> str:
        return pick(self.title_zh, self.title_en)


class IncidentStep(models.Model):
    """A plan step copied onto a confirmed incident (later edits of the plan do not change it), ticked once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    owner_team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="incident_step_due")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick(self.title_zh, self.title_en)
