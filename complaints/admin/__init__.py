"""The supervisor console for the complaint core, one module per concern."""

from . import configuration, customers, tickets

__all__ = ["configuration", "customers", "tickets"]
