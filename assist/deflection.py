"""Deflection on /submit/ counted: which suggested FAQ articles visitors opened, and whether they sent
the complaint anyway. An opening not followed by a complaint within GRACE counts as "answered by the FAQ".
"""

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from complaints.models import KBArticle

from .models import FaqOpen

# A visitor still reading the article, or writing the complaint, is not counted yet.
GRACE = timedelta(minutes=30)
VISITOR = re.compile(r"^[0-9a-f]{16,64}$")


def record_open(*, visitor: str, slug: str) -> bool:
    """Note that `visitor` opened the public article `slug` from the form's suggestions (once each)."""
    if not VISITOR.match(visitor):
        return False
    article = KBArticle.objects.filter(slug=slug, is_published=True, is_public=True).first()
    if article is None:
        return False
    try:
        with transaction.atomic():
            FaqOpen.objects.create(visitor=visitor, article=article)
    except IntegrityError:
        return False
    return True


def record_submission(*, visitor: str) -> int:
    """The visitor sent the complaint form: their openings were not an answer."""
    if not VISITOR.match(visitor):
        return 0
    return FaqOpen.objects.filter(visitor=visitor, submitted_at__isnull=True).update(
        submitted_at=timezone.now()
    )


def stats_section(
    start: datetime, end: datetime, tickets: Any = None, *, now: datetime | None = None
) -> dict:
    """complaints.extensions' stats section "assistant": visitors who opened a suggested FAQ article in
    [start, end), how many of them sent no complaint after (answered by the FAQ), and the top articles."""
    now = now or timezone.now()
    opens = FaqOpen.objects.filter(opened_at__gte=start, opened_at__lt=end)
    settled = Q(submitted_at__isnull=True, opened_at__lt=now - GRACE)
    wrote = opens.filter(submitted_at__isnull=False).values("visitor")
    # One query for the three figures (the dashboard reads this section on every view).
    figures = opens.aggregate(
        visitors=Count("visitor", distinct=True),
        sent=Count("visitor", distinct=True, filter=Q(submitted_at__isnull=False)),
        answered=Count("visitor", distinct=True, filter=settled & ~Q(visitor__in=wrote)),
    )
    top = (
        opens.values("article_id", "article__slug")
        .annotate(opened=Count("pk"), answered=Count("pk", filter=settled))
        .order_by("-opened", "article__slug")[:5]
    )
    return {
        "faq_opened": figures["visitors"],
        "faq_then_submitted": figures["sent"],
        "answered_by_faq": figures["answered"],
        "articles": [
            {"slug": row["article__slug"], "opened": row["opened"], "answered": row["answered"]}
            for row in top
        ],
    }
