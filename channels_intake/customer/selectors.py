"""Reads for the public pages: the FAQ and the customer's view of one ticket."""

from django.db.models import Q, QuerySet

from complaints import selectors
from complaints.models import KBArticle, Ticket


def faq_articles(query: str = "") -> QuerySet[KBArticle]:
    """Published public articles, matching every word of `query` in either language when given."""
    articles = KBArticle.objects.filter(is_public=True, is_published=True).select_related("category")
    for word in query.split()[:8]:
        articles = articles.filter(
            Q(title_zh__icontains=word)
            | Q(title_en__icontains=word)
            | Q(body_zh__icontains=word)
            | Q(body_en__icontains=word)
        )
    return articles


def customer_ticket(ticket_id: int) -> Ticket:
    """One ticket with what its customer page shows, in a constant number of queries."""
    return selectors.ticket_detail(Ticket.objects.filter(pk=ticket_id)).get()
