from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .customers import Customer


class PiiAccess(models.Model):
    """One full view of a customer's personal data by a staff member; written by complaints.audit only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="pii_accesses", verbose_name=_("customer")
    )
    # The ticket the data was revealed on, when there was one: it says why the person looked.
    ticket = models.ForeignKey(
        "complaints.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    fields = models.CharField(_("fields shown"), max_length=100)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return f"{self.user} → {self.customer_id} ({self.fields})"


class ExportRecord(models.Model):
    """One download of tickets or a report from the console; written by complaints.exports only."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    # What was exported: "tickets", "report:sla", "customer:<pk>" ...
    subject = models.CharField(_("what"), max_length=100)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The filters or period that chose the rows, as the supervisor set them.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # Null while a streamed export is still being written.
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    included_pii = models.BooleanField(_("full contact data included"), default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.user} {self.subject} ({self.file_format})"


class ConfigChange(models.Model):
    """One change to configuration (SLA policies, routing rules, channels ...) with the values before and after.

    Secrets are recorded as changed, never with their value.
    """

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+", verbose_name=_("kind")
    )
    object_pk = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # {field: [before, after]}
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        indexes = [models.Index(fields=["content_type", "object_pk"], name="configchange_object")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class RetentionPolicy(models.Model):
    """The one retention setting: how long closed tickets keep personal data before they are anonymised."""

    enabled = models.BooleanField(_("anonymise old closed tickets"), default=False)
    closed_ticket_days = models.PositiveIntegerField(
        _("keep personal data of closed tickets for (days)"), default=730
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policy")

    def __str__(self) -> str:
        return str(_("Retention policy"))

    @classmethod
    def current(cls) -> "RetentionPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
