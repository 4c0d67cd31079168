"""What the widget and the console read: a chat's transcript (its ticket's messages), the hello
each connection gets, the console's list."""

import html
import uuid
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from assist import answers as assist_answers
from complaints.models import CannedReply, KBArticle, Message, Team, TeamMembership

from . import services
from .events import state
from .models import AgentPresence, Chat


def plain(body: str) -> str:
    """A stored (sanitised) body as plain text: the clients show it as text, never as markup."""
    return html.unescape(strip_tags(body.replace("<br>", "\n").replace("</p>", "\n"))).strip()


def chat_by_public_id(public_id: str) -> Chat | None:
    try:
        value = uuid.UUID(public_id)
    except ValueError:
        return None
    return (
        Chat.objects.select_related("customer", "ticket", "agent", "team", "topic")
        .filter(public_id=value)
        .first()
    )


def transcript(chat: Chat, *, include_notes: bool = False) -> list[dict[str, Any]]:
    """The chat's lines in order: the opening message (the ticket's description) and its messages."""
    if chat.ticket_id is None:
        return []
    lines: list[dict[str, Any]] = []
    if chat.opening_client_id:
        lines.append(
            {
                "id": None,
                "client_id": chat.opening_client_id,
                "from": "customer",
                "name": "",
                "text": plain(chat.ticket.description),
                "at": timezone.localtime(chat.ticket.created_at).isoformat(),
                "images": [
                    a.pk
                    for a in chat.ticket.attachments.filter(message__isnull=True)
                    if a.content_type.startswith("image/")
                ],
            }
        )
    messages = (
        Message.objects.filter(
            ticket_id=chat.ticket_id, channel="chat", external_id__startswith=chat.message_prefix
        )
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    if not include_notes:
        messages = messages.exclude(kind=Message.Kind.NOTE)
    for m in messages:
        author = {"customer": "customer", "note": "note"}.get(m.kind, "agent")
        lines.append(
            {
                "id": m.pk,
                "client_id": m.external_id.rsplit(":", 1)[-1],
                "from": author,
                "name": services.user_name_for_customers(m.author) if author != "customer" else "",
                "text": plain(m.body),
                "at": timezone.localtime(m.created_at).isoformat(),
                "images": [a.pk for a in m.attachments.all() if a.content_type.startswith("image/")],
            }
        )
    return lines


def customer_hello(chat_id: int) -> dict[str, Any]:
    chat = Chat.objects.select_related("customer", "ticket", "agent", "team", "topic").get(pk=chat_id)
    return {
        **state(chat),
        "type": "hello",
        "agents_online": bool(services.online_agents(chat.team_id)),
        "messages": transcript(chat),
    }


def agent_chat(chat_id: int, viewer: Any) -> dict[str, Any]:
    """One chat as the console opens it: lines with notes, the customer's open tickets, canned replies."""
    chat = Chat.objects.select_related("customer", "ticket", "agent", "team", "topic").get(pk=chat_id)
    canned = CannedReply.objects.filter(Q(team__isnull=True) | Q(team_id=chat.team_id), is_active=True)
    return {
        **state(chat),
        "type": "chat",
        "ticket_url": f"/desk/tickets/{chat.ticket.reference}/" if chat.ticket_id else "",
        "ticket_reference": chat.ticket.reference if chat.ticket_id else "",
        # A contact that matched a known customer is claimed, not proven: the console marks it, and
        # the other tickets are listed by reference only (to open on the desk), not as this person's.
        "contact_verified": not chat.contact_claimed,
        "messages": transcript(chat, include_notes=True),
        "open_tickets": [
            {
                "reference": t.reference,
                "subject": "" if chat.contact_claimed else t.subject,
                "status": t.get_status_display(),
                "url": f"/desk/tickets/{t.reference}/",
            }
            for t in services.customer_open_tickets(chat, viewer)
            if t.pk != chat.ticket_id
        ],
        "canned": [{"title": c.title, "body": plain(c.body)} for c in canned.order_by("title")[:50]],
    }


def agent_hello(user: Any) -> dict[str, Any]:
    presence = services.presence_for(user)
    mine = Chat.objects.filter(agent=user, state=Chat.State.ACTIVE).values_list("pk", flat=True)
    offered = Chat.objects.filter(offered_to=user, state=Chat.State.OFFERED).select_related(
        "customer", "ticket", "topic"
    )
    from .events import offer

    return {
        "type": "hello",
        "status": presence.status,
        "capacity": presence.capacity,
        "chats": [agent_chat(pk, user) for pk in mine],
        "offers": [offer(c) for c in offered],
        "teams": [{"id": t.pk, "name": t.name} for t in Team.objects.order_by("pk")],
        "agents": [
            {"id": p.user_id, "name": services.user_name_for_customers(p.user)}
            for p in AgentPresence.objects.filter(status=AgentPresence.Status.ONLINE, connections__gt=0)
            .exclude(user=user)
            .select_related("user")
            if TeamMembership.objects.filter(user_id=p.user_id).exists()
        ],
    }


KB_SHOWN = 8


def kb_articles_for_chat(chat: Chat, query: str) -> list[dict[str, Any]]:
    """The console's knowledge-base search: published articles (public FAQ ones and internal ones, marked),
    the assistant's best matches for `query` first, then title/body matches; without a query, the
    chat topic's articles. Each with its text in the customer's language (the other when that is empty)."""
    query = query.strip()[:200]
    published = KBArticle.objects.filter(is_published=True).select_related("category")
    found: list[KBArticle] = []
    if query:
        found = [match.item for match in assist_answers.articles_for(query, shown=KB_SHOWN)]
        words = Q()
        for field in ("title_zh", "title_en", "body_zh", "body_en"):
            words |= Q(**{f"{field}__icontains": query})
        found += list(published.filter(words).exclude(pk__in=[a.pk for a in found])[:KB_SHOWN])
    elif chat.topic_id:
        topics = [c for c in (chat.topic_id, chat.topic.parent_id) if c]
        found = list(published.filter(category_id__in=topics)[:KB_SHOWN])
    english = chat.language == "en"

    def text(zh: str, en: str) -> str:
        return (en or zh) if english else (zh or en)

    return [
        {
            "id": article.pk,
            "title": text(article.title_zh, article.title_en),
            "body": plain(text(article.body_zh, article.body_en)),
            "internal": not article.is_public,
        }
        for article in found[:KB_SHOWN]
        if article.is_published
    ]
