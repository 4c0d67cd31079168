"""An inbound item normalised (`Intake`), and the refusal of one that cannot become a ticket."""

from dataclasses import dataclass, field
from datetime import datetime

from complaints import extensions
from complaints.attachments import CheckedFile
from complaints.errors import ComplaintError
from complaints.models import Category, Message, Team
from complaints.services.customers import CustomerDetails


class IntakeRefused(ComplaintError):
    """An inbound item that cannot become a ticket as it stands (the reason is kept on the item)."""

    code = "intake_refused"


@dataclass
class Intake:
    """An inbound item normalised: who wrote, what they said, and where it belongs."""

    subject: str
    body: str
    customer: CustomerDetails = field(default_factory=CustomerDetails)
    identity: tuple[str, str] | None = None  # (channel, external id) for OpenIDs and app user ids
    files: list[CheckedFile] = field(default_factory=list)
    thread_ticket_id: int | None = None
    message_kind: str = Message.Kind.CUSTOMER
    category: Category | None = None
    team: Team | None = None
    order_number: str = ""
    occurred_at: datetime | None = None
    location: str = ""
    desired_outcome: str = ""
    language: str = ""
    # Join the customer's open ticket on this channel instead of opening another (chat-like channels).
    continue_open_ticket: bool = False
    ignore_reason: str = ""
    # Whether the item has kept files to drop once processed; None when the normaliser did not look.
    has_kept_files: bool | None = None
    # Another app took the mail (a partner's answer to a hand-off): nothing is delivered to a customer.
    claimed: extensions.ClaimedMail | None = None
    # Our mail server's verdict on an e-mail's sender (mailauth.sender_verified): None when unchecked.
    sender_verified: bool | None = None
