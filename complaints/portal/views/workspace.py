"""The ticket workspace: the page, an action run through its service, the version poll, revealing the
customer, the merge picker."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import audit, extensions, placeholders, selectors, timeline
from complaints.errors import ComplaintError, StaleVersion
from complaints.models import Message, Ticket, TicketEvent

from .. import forms, permissions
from ..permissions import desk_access_required
from .actions import ACTIONS, Action, Done
from .common import go_to, visible_ticket


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
    # One EXISTS for every app's panel and badge: those with nothing for this ticket skip their reads.
    extensions.load_presence(ticket)
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
    return _render_workspace(request, visible_ticket(request, reference, detail=True))


@desk_access_required
@permission_required("complaints.change_ticket", raise_exception=True)
@require_POST
def ticket_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Run one action through its service; show the result, or the refusal with the draft kept."""
    ticket = visible_ticket(request, reference)
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise Http404(_("No such action."))
    if not chosen.permitted(request.user, ticket):
        raise PermissionDenied(_("You may not do this on this ticket."))
    form = _make_form(chosen, request, ticket, request.POST, request.FILES)
    if not form.is_valid():
        fresh = visible_ticket(request, reference, detail=True)
        return _render_workspace(request, fresh, status=422, bound=form)
    try:
        done = chosen.perform(request, ticket, form.cleaned_data)
    except StaleVersion as refusal:
        fresh = visible_ticket(request, reference, detail=True)
        changes = selectors.changes_since(fresh, seen_event=form.cleaned_data.get("seen_event"))
        redo = _make_form(chosen, request, fresh, _restamped(request.POST, chosen, fresh), request.FILES)
        redo.is_valid()
        redo.add_error(None, refusal.message)
        return _render_workspace(request, fresh, status=refusal.http_status, bound=redo, changes=changes)
    except ComplaintError as refusal:
        form.add_error(None, refusal.message)
        fresh = visible_ticket(request, reference, detail=True)
        return _render_workspace(request, fresh, status=refusal.http_status, bound=form)
    selectors.forget_own_queue_counts(request.user)
    if isinstance(done, Done):
        messages.success(request, done.message)
        return go_to(request, done.go_to)
    messages.success(request, done)
    if not selectors.tickets_visible_to(request.user).filter(reference=reference).exists():
        # Re-routed, escalated or assigned away: the agent may no longer see it. Back to the queue,
        # told why, rather than a 404 the htmx request would drop without a word.
        messages.info(
            request,
            _("%(ref)s is no longer in your view: it has left your teams and is not assigned to you.")
            % {"ref": reference},
        )
        return go_to(request, reverse("desk:queue"))
    if request.htmx:
        return _render_workspace(request, visible_ticket(request, reference, detail=True))
    return redirect("desk:ticket", reference)


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
    ticket = visible_ticket(request, reference, detail=True)
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
    ticket = visible_ticket(request, reference)
    candidates = selectors.merge_candidates(request.user, ticket, request.GET.get("merge-search", ""))
    return render(request, "desk/_merge_candidates.html", {"candidates": candidates})
