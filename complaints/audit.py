"""Audit of who saw customers' personal data in full."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Customer, PiiAccess, Ticket


def record_pii_access(
    *, actor: AbstractBaseUser, customer: Customer, ticket: Ticket | None, fields: list[str]
) -> PiiAccess:
    """Write one audit row for a full view of `fields` of `customer`; call it before showing the data."""
    return PiiAccess.objects.create(user=actor, customer=customer, ticket=ticket, fields=",".join(fields))
