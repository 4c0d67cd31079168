"""The agent portal: thin views over selectors (reads) and services (writes)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from complaints import selectors


@login_required
@permission_required("complaints.view_ticket", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    tickets = selectors.ticket_queue_for(request.user).order_by("-created_at")
    tickets = selectors.search_tickets(tickets, request.GET.get("q", ""))
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(request, "desk/queue.html", {"page": page, "q": request.GET.get("q", "")})


@login_required
@permission_required("complaints.view_ticket", raise_exception=True)
def ticket(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = get_object_or_404(
        selectors.ticket_detail(selectors.tickets_visible_to(request.user)), reference=reference
    )
    return render(
        request, "desk/ticket.html", {"ticket": ticket, "timeline": selectors.ticket_timeline(ticket)}
    )
