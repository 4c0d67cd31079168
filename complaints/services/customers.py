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
    """The known customer with this e-mail or phone (blind index), left as it is; else a new one."""
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
    # A claimed contact detail is not proof of identity: whoever typed the victim's phone number must
    # not add their own e-mail address (every later mail and link would go to them), a name or a
    # language to the record. Contact details change only by staff, in the console.
    return customer, False


def create_customer(details: CustomerDetails, *, language: str = "zh-hans") -> Customer:
    """A new customer with these details, never matched to a known one (a new channel identity: what
    it claims is not proof that it is the customer we know by that e-mail or phone)."""
    return Customer.objects.create(
        name=details.name.strip(),
        email=details.email.strip(),
        phone=details.phone.strip(),
        customer_number=details.customer_number.strip(),
        preferred_language=details.language or language,
    )


def remember_language(*, customer_id: int, language: str) -> None:
    """Keep the language the customer is using as their preferred one (one UPDATE, none if unchanged)."""
    Customer.objects.filter(pk=customer_id).exclude(preferred_language=language).update(
        preferred_language=language
    )


def opt_out_of_surveys(*, customer_id: int) -> Customer:
    """Remember that the customer wants no more surveys (the row locked; a no-op when already so)."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if not customer.surveys_opted_out:
        customer.surveys_opted_out = True
        customer.save(update_fields=["surveys_opted_out"])
    return customer
