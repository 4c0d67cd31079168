"""The assistant on the desk: the workspace panel (registered in ready()) and its one-click actions."""

from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import extensions, policy
from complaints import selectors as core_selectors
from complaints.errors import ComplaintError
from complaints.models import CannedReply, Category, KBArticle, Ticket
from complaints.portal.permissions import desk_access_required

from . import answers, services, urgency
from .models import AssistSuggestion

PANEL_TEMPLATE = "desk/assist/_ticket_panel.html"
# The workspace's shared EXISTS (complaints.extensions.load_presence): without a suggestion for the
# ticket, the panel does not read for one.
PRESENCE = "assist"


def presence() -> Exists:
    return Exists(AssistSuggestion.objects.filter(ticket_id=OuterRef("pk")))


def ticket_panel(request: Any, ticket: Ticket) -> dict[str, Any] | None:
    """The suggestion with its reasons, suggested articles and replies, similar resolved tickets."""
    suggestion = (
        AssistSuggestion.objects.select_related("category", "team", "model").filter(ticket=ticket).first()
        if extensions.present(ticket, PRESENCE)
        else None
    )
    query = f"{ticket.subject}\n{ticket.description}"
    suggested_category = suggestion.category_id if suggestion else None
    return {
        "template": PANEL_TEMPLATE,
        "urgency": urgency.signals(f"{query}\n{ticket.desired_outcome}"),
        "suggestion": suggestion,
        "differs": suggestion is not None
        and (
            suggestion.category_id not in (None, ticket.category_id)
            or suggestion.team_id not in (None, ticket.team_id)
            or suggestion.priority not in (None, ticket.priority)
        ),
        "percent": {
            name: round(value * 100) for name, value in (suggestion.confidence if suggestion else {}).items()
        },
        "may_act": ticket.is_open
        and policy.is_staff_agent(request.user)
        and policy.can_see(request.user, ticket),
        "categories": Category.objects.filter(parent__isnull=False).order_by("parent__position", "slug")
        if suggestion
        else [],
        "articles": answers.articles_for(query),
        "replies": answers.replies_for(query, team_id=ticket.team_id),
        "similar": answers.similar_resolved(ticket, category_id=ticket.category_id or suggested_category),
        "action_url": reverse("assist:apply", args=[ticket.reference]),
        "insert_url": reverse("assist:insert", args=[ticket.reference]),
    }


@desk_access_required
@require_POST
def apply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = core_selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise Http404(_("No such ticket, or you may not see it."))
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.apply_suggestion(
            ticket_id=ticket.pk,
            actor=request.user,
            version=version,
            category_slug=request.POST.get("category", "") if request.POST.get("action") == "correct" else "",
        )
    except ComplaintError as refused:
        messages.error(request, refused.message if hasattr(refused, "message") else str(refused))
    else:
        messages.success(request, _("Classification saved."))
    return redirect(reverse("desk:ticket", args=[ticket.reference]))


@desk_access_required
@require_POST
def insert(request: HttpRequest, reference: str) -> HttpResponse:
    """One click on a suggested article or canned reply: the timeline notes it, and the ticket page opens
    with the text in the reply box (the desk's own ?insert=, which fills a canned reply's placeholders)."""
    ticket = core_selectors.tickets_visible_to(request.user).filter(reference=reference.upper()).first()
    if ticket is None:
        raise Http404(_("No such ticket, or you may not see it."))
    kind, _sep, pk = request.POST.get("suggestion", "").partition("-")
    model = {"kb": KBArticle, "canned": CannedReply}.get(kind)
    item = model.objects.filter(pk=int(pk)).first() if model is not None and pk.isdigit() else None
    if item is None:
        messages.error(request, _("That suggestion is no longer available."))
        return redirect(reverse("desk:ticket", args=[ticket.reference]))
    try:
        # Each language's line names the article in that language (a canned reply has one title).
        titles = {
            "zh-hans": getattr(item, "title_zh", "") or item.title,
            "en": getattr(item, "title_en", "") or item.title,
        }
        services.record_insertion(ticket_id=ticket.pk, actor=request.user, titles=titles, kind=kind)
    except ComplaintError as refused:
        messages.error(request, refused.message)
        return redirect(reverse("desk:ticket", args=[ticket.reference]))
    return redirect(f"{reverse('desk:ticket', args=[ticket.reference])}?insert={kind}-{item.pk}#action-reply")
