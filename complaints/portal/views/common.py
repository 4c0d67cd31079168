"""What every desk view needs: the ticket the agent may see, a redirect htmx follows."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from complaints import selectors
from complaints.models import Ticket


def visible_ticket(request: HttpRequest, reference: str, *, detail: bool = False) -> Ticket:
    tickets = selectors.tickets_visible_to(request.user)
    if detail:
        tickets = selectors.ticket_detail(tickets)
    return get_object_or_404(tickets, reference=reference)


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows too (HX-Redirect: a full page load, with the messages)."""
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)
