"""Finding or creating the customer a complaint comes from."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from ..errors import ComplaintError
from ..models import (
    Customer,
)


@dataclass(frozen=True)
class CustomerDetails:
    name: str = ""
    email: str = ""
    phone: str = ""
    customer_number: str = ""
    language: str = ""


def find_or_create_customer(details: CustomerDetails) -> Customer:
    """The known customer with this e-mail or phone (blind index), completed with new details; else a new one."""
    return _find_or_create_customer(details)[0]


def _find_or_create_customer(details: CustomerDetails) -> tuple[Customer, bool]:
    """find_or_create_customer, and whether the customer is new."""
    from .. import pii

    email_index = pii.blind_index("email", details.email)
    phone_index = pii.blind_index("phone", details.phone)
    if not (email_index or phone_index):
        raise ComplaintError(_("Give an e-mail address or a phone number so we can answer you."))
    lookup = Q()
    if email_index:
        lookup |= Q(email_index=email_index)
    if phone_index:
        lookup |= Q(phone_index=phone_index)
    customer = Customer.objects.filter(lookup).order_by("pk").first()
    if customer is None:
        created = Customer.objects.create(
            name=details.name.strip(),
            email=details.email.strip(),
            phone=details.phone.strip(),
            customer_number=details.customer_number.strip(),
            preferred_language=details.language or "zh-hans",
        )
        return created, True
    changed = []
    for field in ("name", "email", "phone", "customer_number"):
        value = getattr(details, field).strip()
        if value and not getattr(customer, field):
            setattr(customer, field, value)
            changed.append(field)
    if details.language and details.language != customer.preferred_language:
        customer.preferred_language = details.language
        changed.append("preferred_language")
    if changed:
        customer.save(update_fields=changed)
    return customer, False
