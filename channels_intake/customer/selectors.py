"""Reads for the public pages: the FAQ, the customer's view of one ticket, the privacy notice's facts."""

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.db.models import Q, QuerySet

from complaints import selectors
from complaints.models import KBArticle, RetentionPolicy, Ticket


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


@dataclass(frozen=True)
class PrivacyFacts:
    """The configured values the privacy notice states, so it never promises what the system does not do."""

    retention_enabled: bool
    retention_days: int
    link_days_after_close: int
    auto_close_days: int
    counter_minutes: int
    contact_email: str


def privacy_facts() -> PrivacyFacts:
    from channels_intake.models import Mailbox

    # Read only: the notice must not create the policy row (RetentionPolicy.current() would).
    policy = RetentionPolicy.objects.filter(pk=1).first() or RetentionPolicy()
    windows = [
        settings.COMPLAINTS["TRACK_WINDOW_SECONDS"],
        settings.COMPLAINTS["CUSTOMER_POST_WINDOW_SECONDS"],
        settings.INTAKE["WEB_FORM_RATE_WINDOW"],
    ]
    mailbox = Mailbox.objects.filter(is_active=True).order_by("pk").values_list("address", flat=True).first()
    return PrivacyFacts(
        retention_enabled=policy.enabled,
        retention_days=policy.closed_ticket_days,
        link_days_after_close=settings.COMPLAINTS["TICKET_LINK_DAYS_AFTER_CLOSE"],
        auto_close_days=settings.COMPLAINTS["AUTO_CLOSE_RESOLVED_AFTER_DAYS"],
        counter_minutes=max(1, -(-max(windows) // 60)),
        contact_email=mailbox or parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    )
