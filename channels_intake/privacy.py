"""What the intake channels forget when the complaint core erases a customer or anonymises tickets."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from complaints.models import Customer

from .models import CustomerIdentity, InboundFile, InboundItem, OutboundMessage


def forget_tickets(*, ticket_ids: list[int], sender_indexes: Iterable[str] = ()) -> int:
    """Empty the raw payloads, files and delivery addresses kept for these tickets (or from these senders).

    Runs inside the caller's transaction; files leave storage once it commits. Returns the items emptied.
    """
    indexes = [index for index in sender_indexes if index]
    scope = Q(ticket_id__in=ticket_ids)
    if indexes:
        scope |= Q(sender_index__in=indexes)
    items = InboundItem.objects.filter(scope)
    files = InboundFile.objects.filter(item__in=items)
    names = [name for name in files.values_list("file", flat=True) if name]
    files.delete()
    if names:
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    emptied = items.update(raw="", sender_index="")
    OutboundMessage.objects.filter(ticket_id__in=ticket_ids).update(recipient="")
    return emptied


def forget_customer(*, customer_id: int, ticket_ids: list[int], email_index: str, phone_index: str) -> None:
    """Drop the customer's channel identities (WeChat OpenID, app user id) and everything kept per ticket."""
    CustomerIdentity.objects.filter(customer_id=customer_id).delete()
    forget_tickets(ticket_ids=ticket_ids, sender_indexes=[email_index, phone_index])


def identities_export(customer: Customer) -> tuple[list[str], Sequence[Sequence[Any]]]:
    """The customer's channel identities, for the customer export."""
    rows = CustomerIdentity.objects.filter(customer=customer).order_by("pk")
    return ["channel", "external_id", "created_at"], [[i.channel, i.external_id, i.created_at] for i in rows]
