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
