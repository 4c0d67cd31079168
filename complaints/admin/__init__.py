"""The supervisor console for the complaint core, one module per concern."""

from . import audit, configuration, customers, staff, tickets

__all__ = ["audit", "configuration", "customers", "staff", "tickets"]
