from django.db import models
from django.utils.translation import gettext_lazy as _

from complaints import pii


class Customer(models.Model):
    """A person who complains. Contact data is encrypted; lookups use the blind indexes."""

    name = pii.EncryptedTextField(_("name"), blank=True)
    email = pii.EncryptedTextField(_("e-mail"), blank=True)
    phone = pii.EncryptedTextField(_("phone"), blank=True)
    email_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    customer_number = models.CharField(_("customer / account number"), max_length=64, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        default="zh-hans",
        choices=[("zh-hans", "中文"), ("en", "English")],
    )
    surveys_opted_out = models.BooleanField(_("opted out of surveys"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set when the person's data was erased on request or by retention: the row stays for statistics.
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("view_customer_pii", _("Can see customers' full contact data")),
            ("erase_customer", _("Can export or erase everything about a customer")),
        ]

    def __str__(self) -> str:
        return self.masked_name or self.masked_email or self.masked_phone or f"#{self.pk}"

    def save(self, *args, **kwargs) -> None:
        # The indexes are derived from the encrypted values and must never drift from them.
        self.email_index = pii.blind_index("email", self.email)
        self.phone_index = pii.blind_index("phone", self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {"email": "email_index", "phone": "phone_index"}
            kwargs["update_fields"] = set(update_fields) | {extra[f] for f in update_fields if f in extra}
        super().save(*args, **kwargs)

    @property
    def masked_name(self) -> str:
        return pii.mask_name(self.name)

    @property
    def masked_email(self) -> str:
        return pii.mask_email(self.email) if self.email else ""

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone) if self.phone else ""

    @property
    def masked_contact(self) -> str:
        return " / ".join(filter(None, [self.masked_phone, self.masked_email]))
