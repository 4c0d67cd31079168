"""The supervisor console for the complaint core, one module per concern."""

from . import audit, configuration, customers, staff, ticket_bulk, ticket_timeline, tickets

__all__ = ["audit", "configuration", "customers", "staff", "ticket_bulk", "ticket_timeline", "tickets"]
