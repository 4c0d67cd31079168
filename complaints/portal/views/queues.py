"""The agent's queues: filtered, searched (contact searches kept out of the address), paginated; the next ticket."""

import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import extensions, selectors
from complaints.selectors import Queue, QueueSort

from .. import forms
from ..permissions import desk_access_required
from .bulk import bulk_context


@desk_access_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """One of the agent's queues, filtered, searched, sorted and paginated."""
    return _queue_page(request, request.GET)


@desk_access_required
@require_POST
def search(request: HttpRequest) -> HttpResponse:
    """The queue form, posted: the search term stays out of the address (and so out of access logs)
    when it is an e-mail address or a phone number; words stay in it, so such a search can be bookmarked."""
    params = QueryDict(mutable=True)
    for name, values in request.POST.lists():
        kept = [value for value in values if value.strip()]
        if name not in ("csrfmiddlewaretoken", "page", "s") and kept:
            params.setlist(name, kept)
    term = params.get("q", "").strip()
    if term and selectors.looks_like_contact(term):
        params.pop("q")
        params["s"] = _remember_search(request, term)
    url = f"{reverse('desk:queue')}?{params.urlencode()}" if params else reverse("desk:queue")
    if not request.htmx:
        return redirect(url)
    response = _queue_page(request, params)
    response["HX-Push-Url"] = url
    return response


SEARCHES_KEPT = 20


def _remember_search(request: HttpRequest, term: str) -> str:
    """Keep a contact search in the session; the address names it by a random id."""
    searches = request.session.get("desk_searches", {})
    search_id = next((key for key, value in searches.items() if value == term), None)
    if search_id is None:
        search_id = secrets.token_urlsafe(8)
        searches[search_id] = term
        searches = dict(list(searches.items())[-SEARCHES_KEPT:])
        request.session["desk_searches"] = searches
    return search_id


def _attach_badges(page, column: tuple | None) -> None:
    """Badges other apps register (escalation risk, external cases) for the rows of the page, and
    the value of another app's queue column (a return visit's due time)."""
    page.object_list = list(page.object_list)
    badges = extensions.ticket_badges(page.object_list)
    for row in page.object_list:
        row.extension_badges = badges.get(row.pk, [])
        if column is not None:
            row.queue_column_value = getattr(row, column[1], None)


def _remembered_search(request: HttpRequest, search_id: str) -> str:
    return request.session.get("desk_searches", {}).get(search_id, "") if search_id else ""


def _queue_page(request: HttpRequest, params: QueryDict) -> HttpResponse:
    queues = selectors.queues_for(request.user)
    form = forms.QueueFilterForm(params, queues=queues)
    form.is_valid()  # an invalid filter is ignored rather than answered with an error page
    q = form.value("q", "") or _remembered_search(request, params.get("s", ""))
    home = form.value("queue", Queue.MINE)
    # A search looks through everything the agent may see, unless they narrow it to a queue.
    current = (form.value("within", "") or selectors.search_queue_for(request.user)) if q else home
    tickets = selectors.ticket_queue(request.user, current)
    tickets = selectors.filter_ticket_queue(tickets, **form.criteria())
    tickets = selectors.search_tickets(tickets, q)
    tickets = selectors.order_ticket_queue(tickets, form.value("sort", QueueSort.SLA_DUE))
    page = Paginator(tickets, form.value("per_page", forms.PAGE_SIZES[0])).get_page(params.get("page"))
    other_app = extensions.desk_queue(current)
    column = other_app.column if other_app is not None else None
    _attach_badges(page, column)
    context = {
        "form": form,
        "page": page,
        "q": q,
        "current_queue": current,
        "home_queue": home,
        "within": current if q else "",
        "page_urls": _page_urls(params, page),
        "back_url": _page_urls(params, page, only=page.number)["this"],
        "queues": [(queue, None) for queue in queues],
        "queue_column": column[0] if column else None,
        "bulk": bulk_context(request),
    }
    if request.htmx and params.get("part") == "counts":
        return render(request, "desk/queue.html#queues", {**context, "queues": _counted(request, queues)})
    if request.htmx and (request.htmx.target == "results" or request.method == "POST"):
        return render(request, "desk/queue.html#results", context)
    return render(request, "desk/queue.html", {**context, "queues": _counted(request, queues)})


def _page_urls(params: QueryDict, page, *, only: int | None = None) -> dict[str, str]:
    """The previous and next pages' addresses (or `only` this one's), from the page's own parameters:
    a posted search has none in its request."""
    urls = {}
    pages = (
        [("this", only)]
        if only is not None
        else [
            ("previous", page.previous_page_number() if page.has_previous() else None),
            ("next", page.next_page_number() if page.has_next() else None),
        ]
    )
    for name, number in pages:
        if number is not None:
            query = params.copy()
            query.pop("part", None)
            query["page"] = str(number)
            urls[name] = f"{reverse('desk:queue')}?{query.urlencode()}"
    return urls


def _counted(request: HttpRequest, queues: list[Queue]) -> list[tuple[Queue, int]]:
    counts = selectors.queue_counts(request.user)
    return [(queue, counts.get(queue.value)) for queue in queues]


@desk_access_required
@require_GET
def next_ticket(request: HttpRequest) -> HttpResponse:
    """Open the most urgent ticket of my queue (then my team's unassigned) other than the one I leave."""
    leaving = request.GET.get("after", "")
    for queue_name in (Queue.MINE, Queue.TEAM_UNASSIGNED):
        tickets = selectors.order_ticket_queue(selectors.ticket_queue(request.user, queue_name))
        following = tickets.exclude(reference=leaving).values_list("reference", flat=True).first()
        if following:
            return redirect("desk:ticket", following)
    messages.info(request, _("Nothing else is waiting for you."))
    return redirect("desk:queue")
