from .audit import ConfigChange, ExportRecord, PiiAccess, RetentionPolicy
from .customers import Customer
from .idempotency import IdempotencyKey
from .knowledge import CannedReply, KBArticle
from .organisation import Category, RootCause, RoutingRule, Team, TeamMembership
from .staff import StaffMail, StaffPreference
from .tickets import Attachment, Message, Resolution, Ticket, TicketEvent

__all__ = [
    "Attachment",
    "CannedReply",
    "Category",
    "ConfigChange",
    "Customer",
    "ExportRecord",
    "IdempotencyKey",
    "KBArticle",
    "Message",
    "PiiAccess",
    "Resolution",
    "RetentionPolicy",
    "RootCause",
    "RoutingRule",
    "StaffMail",
    "StaffPreference",
    "Team",
    "TeamMembership",
    "Ticket",
    "TicketEvent",
]
