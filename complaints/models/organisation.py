from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..config_cache import ConfigQuerySet
from .bilingual import BilingualName


class Team(BilingualName):
    class AssignmentStrategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    class Function(models.TextChoices):
        CUSTOMER_SERVICE = "customer_service", _("Customer service")
        TECHNICAL = "technical", _("Technical")
        PRODUCT = "product", _("Product")
        BILLING = "billing", _("Billing")
        LEGAL = "legal", _("Legal")

    slug = models.SlugField(unique=True)
    function = models.CharField(_("function"), max_length=32, choices=Function.choices)
    email = models.EmailField(_("team e-mail"), blank=True)
    assignment_strategy = models.CharField(
        _("assignment"),
        max_length=16,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.ROUND_ROBIN,
        help_text=_(
            "How a ticket that comes into the team finds its agent: the member who waited longest "
            "(round robin) or the one with the fewest open tickets (least loaded). Away members are skipped."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams", blank=True
    )

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        LEAD = "lead", _("Team lead")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AGENT)
    is_away = models.BooleanField(_("away"), default=False, help_text=_("Away agents get no new tickets."))
    # Round robin hands the next ticket to the member who waited longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.team}"


class Category(BilingualName):
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    slug = models.SlugField(unique=True, max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    default_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default team"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent} / {self.name}"
        return self.name


class RootCause(BilingualName):
    """The cause taxonomy a resolution is filed under."""

    slug = models.SlugField(unique=True, max_length=80)
    group = models.CharField(_("group"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # The resolve form's options come from the configuration cache: bulk updates must renew it too.
    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["group", "slug"]
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")


class RoutingRule(models.Model):
    """Classifies and routes a new ticket; the first active matching rule by position wins."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    match_channel = models.CharField(_("channel is"), max_length=16, blank=True)
    match_category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category is (or is under)"),
    )
    match_keywords = models.TextField(
        _("any of these words"),
        blank=True,
        help_text=_(
            "One per line or comma-separated; matched as substrings, so Chinese works without spaces."
        ),
    )
    set_kind = models.CharField(_("set kind"), max_length=16, blank=True)
    set_category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set category"),
    )
    set_team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("route to team"),
    )
    set_priority = models.PositiveSmallIntegerField(_("set priority"), null=True, blank=True)
    set_complexity = models.CharField(_("set complexity"), max_length=16, blank=True)

    objects = ConfigQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    @property
    def keywords(self) -> list[str]:
        words = self.match_keywords.replace("，", ",").replace("\n", ",").split(",")
        return [w.strip().lower() for w in words if w.strip()]
