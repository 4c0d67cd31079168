"""Helpers for the desk tests: post an action form the way the page does."""

from django.test import Client
from django.urls import reverse

from complaints.models import Ticket

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "workspace"}


def action_url(ticket: Ticket, action: str) -> str:
    return reverse("desk:ticket_action", args=[ticket.reference, action])


def post_action(
    client: Client, ticket: Ticket, action: str, *, htmx: bool = False, version: int | None = None, **fields
):
    """POST one action with the ticket's current version (or the one given), prefixed like the page's forms."""
    ticket.refresh_from_db()
    data = {f"{action}-version": ticket.version if version is None else version, f"{action}-seen_event": ""}
    data.update({f"{action}-{name}": value for name, value in fields.items()})
    return client.post(action_url(ticket, action), data, **(HTMX if htmx else {}))
