"""Privacy operations: everything about one customer as a download, erasure on request, and retention.

- `export_customer` builds a ZIP of CSV files (customer, tickets, messages, resolutions, events,
  attachments' list and files, plus what other apps register) and audits it (ExportRecord + PiiAccess).
- `erase_customer` empties the person's contact data and blind indexes and anonymises their tickets:
  the rows stay (statistics count them), the texts that carry personal data go, files are deleted.
- `apply_retention` anonymises closed tickets older than the RetentionPolicy allows, in batches, and
  erases customers left with no ticket that still holds personal data.

The complaint core imports no other app: they learn what to forget from `customer_erased` and
`tickets_anonymised` (sent inside the transaction) and add their export files through
`register_export_section`.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record_pii_access
from .errors import ComplaintError, NotFound
from .exports import neutralise
from .models import (
    Attachment,
    Customer,
    ExportRecord,
    Message,
    Resolution,
    RetentionPolicy,
    Ticket,
    TicketEvent,
)
from .states import OPEN_STATUSES, Status

# Sent inside the erasure's transaction with customer_id, ticket_ids, email_index and phone_index
# (the blind indexes the person had, so apps can find rows keyed by them).
customer_erased = Signal()
# Sent inside the anonymisation's transaction with ticket_ids.
tickets_anonymised = Signal()

# What replaces a text that carried personal data; neutral in either language.
ERASED_TEXT = "[erased]"
RETENTION_BATCH = 200

Rows = tuple[list[str], Iterable[Sequence[Any]]]
# file name -> fn(customer) -> (header, rows): other apps' data about a customer in the export.
EXPORT_SECTIONS: dict[str, Callable[[Customer], Rows]] = {}


def register_export_section(filename: str, section: Callable[[Customer], Rows]) -> None:
    EXPORT_SECTIONS[filename] = section


# --- export ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A CSV cell: local ISO times, empty for None, spreadsheet formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date | int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return neutralise(str(value))


def _csv(header: list[str], rows: Iterable[Sequence[Any]]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        count += 1
    # The BOM makes spreadsheet programs read the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), count


def _core_sections(customer: Customer, tickets: list[Ticket]) -> dict[str, Rows]:
    ticket_ids = [t.pk for t in tickets]
    reference = {t.pk: t.reference for t in tickets}
    messages = (
        Message.objects.filter(ticket_id__in=ticket_ids).select_related("author").order_by("ticket_id", "pk")
    )
    resolutions = (
        Resolution.objects.filter(ticket_id__in=ticket_ids)
        .select_related("root_cause")
        .order_by("ticket_id", "pk")
    )
    events = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .select_related("actor")
        .order_by("ticket_id", "pk")
    )
    attachments = Attachment.objects.filter(ticket_id__in=ticket_ids).order_by("ticket_id", "pk")
    return {
        "customer.csv": (
            [
                "id",
                "name",
                "email",
                "phone",
                "customer_number",
                "preferred_language",
                "surveys_opted_out",
                "created_at",
                "erased_at",
            ],
            [
                [
                    customer.pk,
                    customer.name,
                    customer.email,
                    customer.phone,
                    customer.customer_number,
                    customer.preferred_language,
                    customer.surveys_opted_out,
                    customer.created_at,
                    customer.erased_at,
                ]
            ],
        ),
        "tickets.csv": (
            [
                "reference",
                "channel",
                "kind",
                "category",
                "priority",
                "status",
                "team",
                "subject",
                "description",
                "order_number",
                "occurred_at",
                "location",
                "desired_outcome",
                "created_at",
                "resolved_at",
                "closed_at",
                "anonymised_at",
            ],
            [
                [
                    t.reference,
                    t.channel,
                    t.kind,
                    t.category,
                    t.priority,
                    t.status,
                    t.team,
                    t.subject,
                    t.description,
                    t.order_number,
                    t.occurred_at,
                    t.location,
                    t.desired_outcome,
                    t.created_at,
                    t.resolved_at,
                    t.closed_at,
                    t.anonymised_at,
                ]
                for t in tickets
            ],
        ),
        "messages.csv": (
            ["ticket", "created_at", "kind", "channel", "author", "body"],
            ([reference[m.ticket_id], m.created_at, m.kind, m.channel, m.author, m.body] for m in messages),
        ),
        "resolutions.csv": (
            [
                "ticket",
                "created_at",
                "root_cause",
                "steps_taken",
                "remedy",
                "amount",
                "currency",
                "customer_response",
                "responded_at",
                "dispute_reason",
            ],
            (
                [
                    reference[r.ticket_id],
                    r.created_at,
                    r.root_cause,
                    r.steps_taken,
                    r.remedy,
                    r.amount,
                    r.currency,
                    r.customer_response,
                    r.responded_at,
                    r.dispute_reason,
                ]
                for r in resolutions
            ),
        ),
        "events.csv": (
            ["ticket", "created_at", "kind", "actor", "from", "to", "reason"],
            (
                [reference[e.ticket_id], e.created_at, e.kind, e.actor, e.from_value, e.to_value, e.reason]
                for e in events
            ),
        ),
        "attachments.csv": (
            ["ticket", "created_at", "file_name", "content_type", "size", "sha256", "stored_as"],
            (
                [
                    reference[a.ticket_id],
                    a.created_at,
                    a.original_name,
                    a.content_type,
                    a.size,
                    a.sha256,
                    _attachment_member(reference[a.ticket_id], a),
                ]
                for a in attachments
            ),
        ),
    }


def _attachment_member(reference: str, attachment: Attachment) -> str:
    name = PurePath(attachment.original_name).name or "file"
    return f"attachments/{reference}/{attachment.pk}-{name}"


@dataclass(frozen=True)
class CustomerExport:
    filename: str
    content: bytes
    record: ExportRecord


def export_customer(*, actor: AbstractBaseUser, customer_id: int) -> CustomerExport:
    """Everything held about one customer as a ZIP of CSV files and their evidence files; audited."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    tickets = list(
        Ticket.objects.filter(customer=customer)
        .select_related("category", "category__parent", "team")
        .order_by("pk")
    )
    sections = {**_core_sections(customer, tickets)}
    for filename, section in EXPORT_SECTIONS.items():
        sections[filename] = section(customer)
    archive = io.BytesIO()
    total = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for filename, (header, rows) in sections.items():
            content, count = _csv(header, rows)
            total += count
            zf.writestr(filename, content)
        reference = {t.pk: t.reference for t in tickets}
        for attachment in Attachment.objects.filter(ticket_id__in=reference).order_by("pk"):
            try:
                with attachment.file.open("rb") as handle:
                    zf.writestr(
                        _attachment_member(reference[attachment.ticket_id], attachment), handle.read()
                    )
            except (FileNotFoundError, OSError):
                continue  # listed in attachments.csv; the file itself is gone from storage
    with transaction.atomic():
        record = ExportRecord.objects.create(
            user=actor,
            subject=f"customer:{customer.pk}",
            file_format=ExportRecord.Format.CSV,
            filters={"archive": "zip", "files": sorted(sections)},
            row_count=total,
            included_pii=True,
        )
        record_pii_access(actor=actor, customer=customer, ticket=None, fields=["name", "email", "phone"])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return CustomerExport(
        filename=f"customer-{customer.pk}-{stamp}.zip", content=archive.getvalue(), record=record
    )


# --- erasure and anonymisation --------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


def _anonymise_tickets(ticket_ids: list[int], *, now: datetime) -> int:
    """Strip the personal data from these tickets' texts and files; the rows stay for statistics.

    Runs inside the caller's transaction. TicketEvent rows are append-only and keep their kind, actor and
    values; only reasons written by the customer (actor empty: disputes, reroute requests) are blanked.
    """
    if not ticket_ids:
        return 0
    ids = list(
        Ticket.objects.select_for_update()
        .filter(pk__in=ticket_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = Ticket.objects.filter(pk__in=ids).update(
        subject=ERASED_TEXT,
        description=ERASED_TEXT,
        desired_outcome="",
        location="",
        order_number="",
        anonymised_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    # Replies and notes quote and name the customer as often as the customer's own messages do.
    Message.objects.filter(ticket_id__in=ids).update(body=ERASED_TEXT)
    Resolution.objects.filter(ticket_id__in=ids).exclude(dispute_reason="").update(dispute_reason="")
    TicketEvent.objects.filter(ticket_id__in=ids, actor__isnull=True).exclude(reason="").update(reason="")
    attachments = Attachment.objects.filter(ticket_id__in=ids)
    files = [name for name in attachments.values_list("file", flat=True) if name]
    attachments.delete()
    _delete_files_on_commit(files)
    tickets_anonymised.send(sender=Ticket, ticket_ids=ids)
    return count


def _erase(customer: Customer, *, now: datetime) -> None:
    email_index, phone_index = customer.email_index, customer.phone_index
    ticket_ids = list(
        Ticket.objects.filter(customer=customer, anonymised_at__isnull=True).values_list("pk", flat=True)
    )
    _anonymise_tickets(ticket_ids, now=now)
    customer.name = customer.email = customer.phone = ""
    customer.customer_number = ""
    customer.surveys_opted_out = True
    customer.erased_at = customer.erased_at or now
    customer.save(
        update_fields=["name", "email", "phone", "customer_number", "surveys_opted_out", "erased_at"]
    )
    all_ticket_ids = list(Ticket.objects.filter(customer=customer).values_list("pk", flat=True))
    customer_erased.send(
        sender=Customer,
        customer_id=customer.pk,
        ticket_ids=all_ticket_ids,
        email_index=email_index,
        phone_index=phone_index,
    )


def erase_customer(
    *, actor: AbstractBaseUser | None, customer_id: int, now: datetime | None = None
) -> Customer:
    """Erase one customer's personal data on request; refused while one of their tickets is still open."""
    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("No such customer."))
        open_refs = list(
            Ticket.objects.filter(customer=customer, status__in=OPEN_STATUSES).values_list(
                "reference", flat=True
            )
        )
        if open_refs:
            raise ComplaintError(
                _("This customer still has open tickets (%(refs)s): resolve or close them before erasing.")
                % {"refs": ", ".join(open_refs[:10])},
                open_tickets=open_refs,
            )
        _erase(customer, now=now)
    return customer


@dataclass(frozen=True)
class RetentionOutcome:
    tickets_anonymised: int = 0
    customers_erased: int = 0


def apply_retention(*, now: datetime | None = None, batch_size: int = RETENTION_BATCH) -> RetentionOutcome:
    """Anonymise one batch of closed tickets older than the policy allows; idempotent, safe to run concurrently.

    Customers whose every ticket is then anonymised are erased too. Returns what one batch did; a full
    batch means there may be more.
    """
    policy = RetentionPolicy.current()
    if not policy.enabled:
        return RetentionOutcome()
    now = now or timezone.now()
    cutoff = now - timedelta(days=policy.closed_ticket_days)
    with transaction.atomic():
        due = (
            Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff, anonymised_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", "customer_id")[:batch_size]
        )
        rows = list(due)
        anonymised = _anonymise_tickets([pk for pk, _customer in rows], now=now)
        customer_ids = sorted({customer_id for _pk, customer_id in rows})
        done = (
            Customer.objects.select_for_update()
            .filter(pk__in=customer_ids, erased_at__isnull=True)
            .exclude(tickets__anonymised_at__isnull=True)
            .order_by("pk")
        )
        erased = 0
        for customer in done:
            _erase(customer, now=now)
            erased += 1
    return RetentionOutcome(tickets_anonymised=anonymised, customers_erased=erased)
