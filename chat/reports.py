"""The "chat" section of /api/v1/stats/ and the dashboard: chats, how many were taken as tickets,
and the end-of-chat ratings as CSAT (satisfied = 4 or 5, as the surveys count it)."""

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from .models import Chat


def chat_section(start: datetime, end: datetime, tickets: QuerySet) -> dict[str, Any]:
    chats = Chat.objects.filter(created_at__gte=start, created_at__lt=end, ticket__in=tickets.values("pk"))
    row = chats.aggregate(
        chats=Count("pk"),
        offline=Count("pk", filter=Q(state=Chat.State.OFFLINE)),
        rated=Count("pk", filter=Q(rating__isnull=False)),
        satisfied=Count("pk", filter=Q(rating__gte=4)),
        average=Avg("rating"),
    )
    return {
        "chats": row["chats"],
        "taken_as_tickets": row["offline"],
        "rated": row["rated"],
        "csat": round(100.0 * row["satisfied"] / row["rated"], 1) if row["rated"] else None,
        "average_rating": round(row["average"], 2) if row["average"] is not None else None,
    }
