from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffPreference(models.Model):
    """What a staff member chose for themselves: the language the desk, the console and their mail use."""

    class Language(models.TextChoices):
        # Written in their own language, as a language chooser shows them.
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=Language.choices,
        blank=True,
        help_text=_("The desk, the console and the e-mails sent to this person use it; empty: the site's."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("staff preference")
        verbose_name_plural = _("staff preferences")

    def __str__(self) -> str:
        return self.get_language_display() or "—"


class StaffMail(models.Model):
    """Staff mail whose task could not be handed to the broker after its change committed (the broker
    down or restarting): kept here and published again by the periodic re-queue, then deleted."""

    task = models.CharField(max_length=200, help_text=_("The Celery task that sends the mail."))
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff mail not yet queued")
        verbose_name_plural = _("staff mail not yet queued")

    def __str__(self) -> str:
        return f"{self.task} {self.args}"
