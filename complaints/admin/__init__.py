"""The supervisor console for the complaint core, one module per concern."""

from . import audit, configuration, customers, tickets

__all__ = ["audit", "configuration", "customers", "tickets"]
