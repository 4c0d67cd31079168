"""Processing a stored item: normalise it by channel and hand it to the complaint services, as a new
ticket or a message on one, in one transaction with the item's new state. A failure keeps the item
with its error; `reprocess_items` (the admin action) runs the same code again."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from complaints import extensions
from complaints import services as complaint_services
from complaints.errors import ComplaintError
from complaints.models import Customer, Ticket
from complaints.services import customers as customer_services
from complaints.services.customers import CustomerDetails

from ..models import CustomerIdentity, InboundItem
from .intake import Intake
from .normalisers import NORMALISERS

logger = logging.getLogger(__name__)

State = InboundItem.State


def process_item(*, item_id: int) -> InboundItem:
    """Turn a stored item into a ticket or a message, or record why not. Safe to run twice:
    the item row is locked and a processed or ignored item is left as it is."""
    with transaction.atomic():
        item = InboundItem.objects.select_for_update().get(pk=item_id)
        if item.state in (State.PROCESSED, State.IGNORED):
            return item
        intake = process(item)
        item.save(update_fields=["state", "error", "attempts", "processed_at", "ticket", "message"])
        if intake is not None and (
            item.files.exists() if intake.has_kept_files is None else intake.has_kept_files
        ):
            _drop_kept_files(item)
    return item


def process(item: InboundItem) -> Intake | None:
    """Normalise and deliver the item in a savepoint, setting its outcome in memory (the caller saves
    it); the intake when a ticket or message was made."""
    item.attempts += 1
    intake = None
    try:
        with transaction.atomic():
            normalised = NORMALISERS[item.channel](item)
            if normalised.ignore_reason:
                item.state, item.error = State.IGNORED, normalised.ignore_reason
            else:
                _deliver(item, normalised)
                item.state, item.error = State.PROCESSED, ""
                intake = normalised
    except ComplaintError as exc:
        item.state, item.error = State.FAILED, exc.message
    except Exception as exc:
        # Nothing inbound is lost: an unexpected failure is kept on the item for reprocessing.
        logger.exception("Inbound item %s failed", item.pk or item.source_id)
        item.state, item.error = State.FAILED, f"{type(exc).__name__}: {exc}"
    item.processed_at = timezone.now()
    return intake


def reprocess_items(*, item_ids: list[int]) -> dict[str, int]:
    """Run failed or received items through the same processing again; counts the outcomes by state."""
    outcome: dict[str, int] = {}
    for item_id in sorted(item_ids):
        item = process_item(item_id=item_id)
        outcome[item.state] = outcome.get(item.state, 0) + 1
    return outcome


def _drop_kept_files(item: InboundItem) -> None:
    """The files now live as ticket attachments; the kept copies go once that is committed."""
    names = [f.file.name for f in item.files.all()]
    item.files.all().delete()

    def delete_files() -> None:
        from django.core.files.storage import default_storage

        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)


def _deliver(item: InboundItem, intake: Intake) -> None:
    if intake.claimed is not None:
        item.ticket_id, item.message = intake.claimed.ticket_id, intake.claimed.message
        return
    if item.mailbox_id is not None and intake.thread_ticket_id is None:
        # A mailbox another app answers for (a regulator's forwarding address) opens its own tickets.
        taken = extensions.take_mailbox_mail(
            mailbox=item.mailbox,
            subject=intake.subject,
            body=intake.body,
            sender=intake.customer,
            files=intake.files,
            external_id=item.source_id[:255],
            sender_verified=intake.sender_verified,
        )
        if taken is not None:
            item.ticket, item.message = taken
            return
    actor = item.actor
    customer = _identify(intake)
    thread = intake.thread_ticket_id
    if thread is None and intake.continue_open_ticket:
        if not isinstance(customer, Customer):
            customer = complaint_services.find_or_create_customer(customer)
        # Chat-like channels and phone calls continue the customer's latest open ticket.
        open_ticket = (
            Ticket.objects.open()
            .filter(customer=customer, duplicate_of__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        thread = open_ticket.pk if open_ticket else None
    external_id = item.source_id[:255]
    if thread is not None:
        message = complaint_services.add_message(
            ticket_id=thread,
            actor=actor,
            kind=intake.message_kind,
            body=intake.body,
            channel=item.channel,
            files=intake.files,
            external_id=external_id,
        )
        item.ticket_id, item.message = message.ticket_id, message
        return
    opened = complaint_services.open_ticket(
        actor=actor,
        channel=item.channel,
        customer=customer,
        subject=intake.subject or intake.body[:60],
        description=intake.body,
        category=intake.category,
        default_team=intake.team,
        order_number=intake.order_number,
        occurred_at=intake.occurred_at,
        location=intake.location,
        desired_outcome=intake.desired_outcome,
        language=intake.language,
        files=intake.files,
        external_id=external_id,
    )
    item.ticket, item.message = opened.ticket, opened.message


def _identify(intake: Intake) -> Customer | CustomerDetails:
    """The customer by channel identity when there is one (linking it on first contact), else by details."""
    if intake.identity is None:
        return intake.customer
    channel, external_id = intake.identity
    known = CustomerIdentity.objects.select_related("customer").filter(
        channel=channel, external_id=external_id
    )
    identity = known.first()
    if identity is not None:
        return identity.customer
    details = intake.customer
    # A new identity is a new customer: the e-mail or phone it claims is not proof that it is the
    # customer we know by them, so it is never tied to that customer's record (or tickets).
    customer = customer_services.create_customer(details, language=settings.LANGUAGE_CODE)
    try:
        with transaction.atomic():
            CustomerIdentity.objects.create(channel=channel, external_id=external_id, customer=customer)
    except IntegrityError:
        # The same person's first two messages raced; both use the identity that won.
        return known.get().customer
    return customer
