"""The agent portal: thin views over selectors (reads) and services (writes).

Every view needs a signed-in agent with the complaints permissions, and finds its ticket
through selectors.tickets_visible_to, so another team's ticket is simply not found (404).
Each page renders whole, or for an htmx request only the fragment that changed
(Django template partials: "desk/queue.html#results", "desk/ticket.html#workspace").
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from complaints import attachments, audit, extensions, placeholders, policy, selectors, services, timeline
from complaints.errors import ComplaintError, StaleVersion
from complaints.models import Attachment, Message, Ticket, TicketEvent
from complaints.selectors import Queue, QueueSort
from complaints.states import OPEN_STATUSES, Status

from . import forms, permissions
from .permissions import desk_access_required

# Images a browser may show inline; anything else (SVG included) is only ever downloaded.
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}


def _visible_ticket(request: HttpRequest, reference: str, *, detail: bool = False) -> Ticket:
    tickets = selectors.tickets_visible_to(request.user)
    if detail:
        tickets = selectors.ticket_detail(tickets)
    return get_object_or_404(tickets, reference=reference)


# --- queues ------------------------------------------------------------------------------


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


def _attach_badges(page) -> None:
    """Badges other apps register (escalation risk, external cases) for the rows of the page."""
    page.object_list = list(page.object_list)
    badges = extensions.ticket_badges(page.object_list)
    for row in page.object_list:
        row.extension_badges = badges.get(row.pk, [])


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
    _attach_badges(page)
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
        "show_return_visits": current == Queue.RETURN_VISITS,
        "bulk": _bulk_context(request),
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


# --- bulk actions in the queue ------------------------------------------------------------


class BulkAction(models.TextChoices):
    TAKE = "take", gettext_lazy("Take them")
    ASSIGN = "assign", gettext_lazy("Assign to")
    ACKNOWLEDGE = "acknowledge", gettext_lazy("Acknowledge")
    IN_PROGRESS = "in_progress", gettext_lazy("Set in progress")
    AWAIT = "awaiting_customer", gettext_lazy("Await customer")
    CLOSE = "closed", pgettext_lazy("bulk action", "Close")
    SPAM = "spam", gettext_lazy("Close as spam")


def _bulk_context(request: HttpRequest) -> dict:
    user = request.user
    if selectors.is_supervisor(user):
        assignees = forms.staff_users()
    else:
        assignees = forms.staff_users().filter(memberships__team_id__in=selectors.led_team_ids(user))
    actions = BulkAction.choices
    if not selectors.is_supervisor(user):  # closing by hand is a supervisor's (complaints.policy)
        actions = [
            (value, label) for value, label in actions if value not in (BulkAction.CLOSE, BulkAction.SPAM)
        ]
    return {"actions": actions, "assignees": assignees}


def _bulk_one(request: HttpRequest, action: str, ticket: Ticket, version: int, data: QueryDict) -> None:
    """One ticket of a bulk action, through the same service (and so the same policy) as the workspace."""
    user, reason = request.user, data.get("reason", "").strip()
    if action == BulkAction.TAKE:
        services.assign(ticket_id=ticket.pk, actor=user, assignee=user, version=version)
    elif action == BulkAction.ASSIGN:
        chosen = data.get("assignee", "")
        assignee = forms.staff_users().filter(pk=chosen).first() if chosen.isdigit() else None
        if assignee is None:
            raise ComplaintError(_("Choose whom to assign the tickets to."))
        services.assign(ticket_id=ticket.pk, actor=user, assignee=assignee, version=version)
    elif action == BulkAction.ACKNOWLEDGE:
        services.acknowledge(ticket_id=ticket.pk, actor=user, version=version)
    elif action == BulkAction.SPAM:
        services.mark_spam(ticket_id=ticket.pk, actor=user, version=version, reason=reason)
    elif action in (BulkAction.IN_PROGRESS, BulkAction.AWAIT, BulkAction.CLOSE):
        services.transition(ticket_id=ticket.pk, actor=user, to=action, version=version, reason=reason)
    else:
        raise ComplaintError(_("Choose what to do with the selected tickets."))


@desk_access_required
@permission_required("complaints.change_ticket", raise_exception=True)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the tickets ticked in the queue; each is done or refused on its own."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        "/desk/"
    ):
        back = reverse("desk:queue")
    chosen: dict[str, int] = {}
    for value in request.POST.getlist("tickets"):
        reference, _sep, version = value.partition(":")
        if version.isdigit():
            chosen[reference.strip().upper()] = int(version)
    action = request.POST.get("action", "")
    if not chosen:
        messages.error(request, _("Tick the tickets to act on first."))
        return _go_to(request, back)
    if action not in BulkAction.values:
        messages.error(request, _("Choose what to do with the selected tickets."))
        return _go_to(request, back)
    found = {t.reference: t for t in selectors.tickets_visible_to(request.user).filter(reference__in=chosen)}
    done = 0
    for reference, version in chosen.items():
        ticket = found.get(reference)
        try:
            if ticket is None:
                raise policy.no_such_ticket(reference)
            _bulk_one(request, action, ticket, version, request.POST)
        except ComplaintError as refusal:
            messages.warning(request, f"{reference}: {refusal.message}")
        else:
            done += 1
    if done:
        messages.success(
            request,
            ngettext("%(n)d ticket done: %(action)s.", "%(n)d tickets done: %(action)s.", done)
            % {"n": done, "action": BulkAction(action).label},
        )
    selectors.forget_own_queue_counts(request.user)
    return _go_to(request, back)


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


# --- the ticket workspace ---------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing an agent does to a ticket: its form, who sees it and the service it calls."""

    name: str
    label: str
    form_class: type[forms.TicketActionForm]
    perform: Callable[[HttpRequest, Ticket, dict], "str | Done"]
    shown: Callable[[object, Ticket], bool]
    permitted: Callable[[object, Ticket], bool] = lambda user, ticket: True
    compose: bool = False


def _reply(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    files = attachments.check_uploads(data.get("files") or [])
    services.add_message(
        ticket_id=ticket.pk,
        actor=request.user,
        kind=Message.Kind.REPLY,
        body=data["body"],
        version=data["version"],
        files=files,
    )
    return _("Your reply was sent to the customer.")


def _note(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.add_message(
        ticket_id=ticket.pk,
        actor=request.user,
        kind=Message.Kind.NOTE,
        body=data["body"],
        version=data["version"],
    )
    return _("Internal note added.")


def _acknowledge(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.acknowledge(ticket_id=ticket.pk, actor=request.user, version=data["version"])
    return _("The ticket is acknowledged.")


def _take(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.assign(ticket_id=ticket.pk, actor=request.user, assignee=request.user, version=data["version"])
    return _("The ticket is yours now.")


def _assign(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    assignee = data["assignee"]
    services.assign(ticket_id=ticket.pk, actor=request.user, assignee=assignee, version=data["version"])
    if assignee is None:
        return _("The ticket is back in its team's queue.")
    return _("Assigned to %(user)s.") % {"user": assignee.get_username()}


def _reclassify(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reclassify(
        ticket_id=ticket.pk,
        actor=request.user,
        version=data["version"],
        kind=data["kind"],
        category=data["category"],
        priority=data["priority"],
        complexity=data["complexity"],
        reason=data["reason"],
    )
    return _("Classification saved.")


def _escalate(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    escalated = services.escalate(
        ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"]
    )
    return _("Escalated to level %(level)s.") % {"level": escalated.escalation_level}


def _reroute(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reroute(
        ticket_id=ticket.pk,
        actor=request.user,
        team=data["team"],
        version=data["version"],
        reason=data["reason"],
        requested_by_customer=data["requested_by_customer"],
    )
    return _("Sent to %(team)s.") % {"team": data["team"]}


def _await_customer(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.await_customer(
        ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"]
    )
    return _("Waiting for the customer; the SLA clock is paused.")


def _resolve(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    resolution = services.resolve(
        ticket_id=ticket.pk,
        actor=request.user,
        version=data["version"],
        root_cause=data["root_cause"],
        steps_taken=data["steps_taken"],
        remedy=data["remedy"],
        amount=data["amount"] or 0,
    )
    if resolution is None:
        return _("The resolution is held until its remedy is approved; the customer is not told yet.")
    return _("Resolved. The customer is asked to confirm.")


def _reopen(request: HttpRequest, ticket: Ticket, data: dict) -> str:
    services.reopen(ticket_id=ticket.pk, actor=request.user, version=data["version"], reason=data["reason"])
    return _("Reopened.")


def _merge(request: HttpRequest, ticket: Ticket, data: dict) -> "Done":
    target = (
        selectors.tickets_visible_to(request.user)
        .filter(reference=data["target"])
        .values_list("pk", "reference")
        .first()
    )
    if target is None:
        raise ComplaintError(policy.no_such_ticket(data["target"]).message)
    services.merge(
        source_id=ticket.pk,
        target_id=target[0],
        actor=request.user,
        reason=data["reason"],
        keep_internal=bool(data.get("keep_internal")),
        version=data["version"],
    )
    return Done(_("Merged into %(ref)s.") % {"ref": target[1]}, reverse("desk:ticket", args=[target[1]]))


def _is_open(user, ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES


def _can_message(user) -> bool:
    return user.has_perm("complaints.add_message")


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in [
        Action(
            "reply",
            gettext_lazy("Send reply"),
            forms.ReplyForm,
            _reply,
            shown=lambda user, t: t.status != Status.CLOSED,
            permitted=lambda user, t: _can_message(user),
            compose=True,
        ),
        Action(
            "note",
            gettext_lazy("Add note"),
            forms.NoteForm,
            _note,
            shown=lambda user, t: True,
            permitted=lambda user, t: _can_message(user),
            compose=True,
        ),
        Action(
            "acknowledge",
            gettext_lazy("Acknowledge"),
            forms.AcknowledgeForm,
            _acknowledge,
            shown=lambda user, t: t.status == Status.NEW,
        ),
        Action(
            "take",
            gettext_lazy("Take it"),
            forms.TakeForm,
            _take,
            shown=lambda user, t: _is_open(user, t) and permissions.can_take(user, t),
            permitted=lambda user, t: t.assignee_id in (None, user.pk) or permissions.can_reassign(user, t),
        ),
        Action(
            "assign",
            gettext_lazy("Assign"),
            forms.AssignForm,
            _assign,
            shown=lambda user, t: _is_open(user, t) and permissions.can_reassign(user, t),
            permitted=permissions.can_reassign,
        ),
        Action(
            "reclassify",
            gettext_lazy("Save classification"),
            forms.ReclassifyForm,
            _reclassify,
            shown=_is_open,
        ),
        Action(
            "escalate",
            gettext_lazy("Escalate"),
            forms.EscalateForm,
            _escalate,
            shown=lambda user, t: _is_open(user, t) and t.escalation_level < 3,
        ),
        Action("reroute", gettext_lazy("Re-route"), forms.RerouteForm, _reroute, shown=_is_open),
        Action(
            "await_customer",
            gettext_lazy("Await customer"),
            forms.AwaitCustomerForm,
            _await_customer,
            shown=lambda user, t: t.status in (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS),
        ),
        Action("resolve", gettext_lazy("Resolve"), forms.ResolveForm, _resolve, shown=_is_open),
        Action(
            "reopen",
            gettext_lazy("Reopen"),
            forms.ReopenForm,
            _reopen,
            shown=lambda user, t: t.status in (Status.RESOLVED, Status.CLOSED) and not t.duplicate_of_id,
        ),
        Action("merge", gettext_lazy("Merge"), forms.MergeForm, _merge, shown=_is_open),
    ]
}


def _make_form(
    action: Action,
    request: HttpRequest,
    ticket: Ticket,
    data: QueryDict | None = None,
    files=None,
    initial=None,
) -> forms.TicketActionForm:
    extra = (
        {"assignees": permissions.assignable_users(request.user, ticket)} if action.name == "assign" else {}
    )
    return action.form_class(
        data, files, ticket=ticket, user=request.user, prefix=action.name, initial=initial, **extra
    )


def _last_event_id(ticket: Ticket) -> int:
    return max((event.pk for event in ticket.events.all()), default=0)


def _in_language(ticket: Ticket, zh: str, en: str) -> str:
    return en if ticket.language.startswith("en") and en else zh


def _workspace_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: forms.TicketActionForm | None = None,
    changes: list[TicketEvent] | None = None,
    revealed: bool = False,
) -> dict:
    """Everything the workspace shows; `bound` is a refused form to show again with the agent's draft."""
    user = request.user
    seen_event = _last_event_id(ticket)
    initial = {"version": ticket.version, "seen_event": seen_event}
    # Canned replies come with their placeholders filled for this ticket and agent: what the agent
    # inserts is what the customer will read.
    filled = placeholders.values_for(ticket, user)
    canned = [
        (reply, placeholders.fill(reply.body, filled)) for reply in selectors.canned_replies_for(ticket)
    ]
    articles = list(selectors.kb_articles_for(ticket)[:30])
    inserted = _insertion(request, canned, articles, ticket)
    panels = []
    for action in ACTIONS.values():
        is_bound = bound is not None and bound.prefix == action.name
        if not is_bound and not (action.shown(user, ticket) and action.permitted(user, ticket)):
            continue
        action_initial = dict(initial)
        if action.name == "reply" and inserted:
            action_initial["body"] = inserted
        form = bound if is_bound else _make_form(action, request, ticket, initial=action_initial)
        panels.append(
            {
                "action": action,
                "form": form,
                "url": reverse("desk:ticket_action", args=[ticket.reference, action.name]),
                "open": is_bound or action.compose,
            }
        )
    return {
        "ticket": ticket,
        "timeline": _timeline_entries(selectors.ticket_timeline(ticket)),
        "evidence": list(ticket.attachments.all()),
        "resolution": next(iter(ticket.resolutions.all()), None),
        "compose_panels": [p for p in panels if p["action"].compose],
        "action_panels": [p for p in panels if not p["action"].compose],
        "seen_event": seen_event,
        "changes": changes,
        "revealed": revealed,
        "can_reveal": permissions.can_reveal_pii(user),
        "canned_replies": canned,
        "kb_articles": [
            (_in_language(ticket, a.title_zh, a.title_en), _in_language(ticket, a.body_zh, a.body_en), a)
            for a in articles
        ],
        "extension_panels": extensions.ticket_panels(request, ticket),
        "extension_badges": extensions.ticket_badges([ticket]).get(ticket.pk, []),
        "other_tickets": list(selectors.other_tickets_of_customer(user, ticket)),
    }


def _timeline_entries(items: list[Message | TicketEvent]) -> list[dict]:
    # The times are formatted here, in the language's one date format looked up once: the date filter,
    # twice for each of a hundred entries, was a large share of the page's rendering time.
    when_format = get_format("DATETIME_FORMAT")
    return [_timeline_entry(item, when_format) for item in items]


def _timeline_entry(item: Message | TicketEvent, when_format: str) -> dict:
    moment = timezone.localtime(item.created_at)
    entry = {
        "item": item,
        "is_message": isinstance(item, Message),
        "iso": moment.isoformat(),
        "when": dateformat.format(moment, when_format),
    }
    # In words, in the reader's language (complaints.timeline), never the stored codes.
    if entry["is_message"]:
        entry["byline"] = " · ".join(timeline.message_meta(item)[1:])
    else:
        entry |= {
            "change": timeline.event_change(item),
            "reason": timeline.event_reason(item),
            "actor": timeline.actor_label(item),
        }
    return entry


def _insertion(request: HttpRequest, canned: list, articles: list, ticket: Ticket) -> str:
    """Text picked without JavaScript (?insert=canned-3 or kb-5) to start the reply with."""
    kind, _sep, pk = request.GET.get("insert", "").partition("-")
    if kind == "canned":
        return next((text for reply, text in canned if str(reply.pk) == pk), "")
    if kind == "kb":
        return next((_in_language(ticket, a.body_zh, a.body_en) for a in articles if str(a.pk) == pk), "")
    return ""


def _render_workspace(request: HttpRequest, ticket: Ticket, status: int = 200, **kwargs) -> HttpResponse:
    context = _workspace_context(request, ticket, **kwargs)
    template = "desk/ticket.html#workspace" if request.htmx else "desk/ticket.html"
    return render(request, template, context, status=status)


@desk_access_required
@require_GET
def ticket(request: HttpRequest, reference: str) -> HttpResponse:
    """The ticket workspace: facts, customer, timeline and every action the agent may take."""
    return _render_workspace(request, _visible_ticket(request, reference, detail=True))


@desk_access_required
@permission_required("complaints.change_ticket", raise_exception=True)
@require_POST
def ticket_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Run one action through its service; show the result, or the refusal with the draft kept."""
    ticket = _visible_ticket(request, reference)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404(_("No such action."))
    if not chosen.permitted(request.user, ticket):
        raise PermissionDenied(_("You may not do this on this ticket."))
    form = _make_form(chosen, request, ticket, request.POST, request.FILES)
    if not form.is_valid():
        fresh = _visible_ticket(request, reference, detail=True)
        return _render_workspace(request, fresh, status=422, bound=form)
    try:
        done = chosen.perform(request, ticket, form.cleaned_data)
    except StaleVersion as refusal:
        fresh = _visible_ticket(request, reference, detail=True)
        changes = selectors.changes_since(fresh, seen_event=form.cleaned_data.get("seen_event"))
        redo = _make_form(chosen, request, fresh, _restamped(request.POST, chosen, fresh), request.FILES)
        redo.is_valid()
        redo.add_error(None, refusal.message)
        return _render_workspace(request, fresh, status=refusal.http_status, bound=redo, changes=changes)
    except ComplaintError as refusal:
        form.add_error(None, refusal.message)
        fresh = _visible_ticket(request, reference, detail=True)
        return _render_workspace(request, fresh, status=refusal.http_status, bound=form)
    selectors.forget_own_queue_counts(request.user)
    if isinstance(done, Done):
        messages.success(request, done.message)
        return _go_to(request, done.go_to)
    messages.success(request, done)
    if not selectors.tickets_visible_to(request.user).filter(reference=reference).exists():
        # Re-routed, escalated or assigned away: the agent may no longer see it. Back to the queue,
        # told why, rather than a 404 the htmx request would drop without a word.
        messages.info(
            request,
            _("%(ref)s is no longer in your view: it has left your teams and is not assigned to you.")
            % {"ref": reference},
        )
        return _go_to(request, reverse("desk:queue"))
    if request.htmx:
        return _render_workspace(request, _visible_ticket(request, reference, detail=True))
    return redirect("desk:ticket", reference)


@dataclass(frozen=True)
class Done:
    """An action's outcome that takes the agent to another page (the ticket merged into)."""

    message: str
    go_to: str


def _go_to(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows too (HX-Redirect: a full page load, with the messages)."""
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _restamped(data: QueryDict, action: Action, ticket: Ticket) -> QueryDict:
    """The agent's draft with the current version: saving again is now a deliberate choice."""
    data = data.copy()
    data[f"{action.name}-version"] = str(ticket.version)
    data[f"{action.name}-seen_event"] = str(_last_event_id(ticket))
    return data


@desk_access_required
@require_GET
def ticket_version(request: HttpRequest, reference: str) -> HttpResponse:
    """The light poll: nothing new, or who changed the ticket since the agent loaded it, and what."""
    current = (
        selectors.tickets_visible_to(request.user)
        .filter(reference=reference)
        .values_list("pk", "version")
        .first()
    )
    if current is None:
        raise Http404
    pk, version = current
    try:
        seen_version = int(request.GET.get("version", ""))
        seen_event = int(request.GET.get("seen_event", "") or 0)
    except ValueError:
        seen_version, seen_event = version, 0
    changes = None
    if seen_version != version:
        changes = selectors.changes_since(Ticket(pk=pk), seen_event=seen_event)
    context = {
        "ticket": Ticket(pk=pk, reference=reference, version=seen_version),
        "seen_event": seen_event,
        "changes": changes,
    }
    return render(request, "desk/ticket.html#version_watch", context)


@desk_access_required
@permission_required("complaints.view_customer_pii", raise_exception=True)
@require_POST
def reveal_customer(request: HttpRequest, reference: str) -> HttpResponse:
    """Show the customer's full contact data, after writing the audit row that says who looked."""
    ticket = _visible_ticket(request, reference, detail=True)
    audit.record_pii_access(
        actor=request.user, customer=ticket.customer, ticket=ticket, fields=["name", "email", "phone"]
    )
    if request.htmx:
        return render(request, "desk/ticket.html#customer", {"ticket": ticket, "revealed": True})
    return _render_workspace(request, ticket, revealed=True)


@desk_access_required
@require_GET
def merge_candidates(request: HttpRequest, reference: str) -> HttpResponse:
    """The searchable picker of the merge form: open tickets matching the term."""
    ticket = _visible_ticket(request, reference)
    candidates = selectors.merge_candidates(request.user, ticket, request.GET.get("merge-search", ""))
    return render(request, "desk/_merge_candidates.html", {"candidates": candidates})


@desk_access_required
@permission_required("complaints.view_attachment", raise_exception=True)
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file of a ticket the user may see; safe images inline, everything else downloaded."""
    item = get_object_or_404(
        Attachment.objects.filter(ticket__in=selectors.tickets_visible_to(request.user).values("pk")), pk=pk
    )
    inline = item.content_type in INLINE_IMAGE_TYPES and "download" not in request.GET
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=item.original_name,
        content_type=item.content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
