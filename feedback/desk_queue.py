"""The desk's "Return visits due" queue: tickets with a return visit not completed yet, soonest due
shown in its own column (registered with complaints.extensions in FeedbackConfig.ready)."""

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from complaints.extensions import DeskQueue
from complaints.models import Ticket

from .models import ReturnVisit


def _open_visits() -> QuerySet[ReturnVisit]:
    return ReturnVisit.objects.filter(completed_at__isnull=True)


def queue_tickets(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with an open return visit, each with its soonest one's due time (`return_visit_due`)."""
    pending = _open_visits().filter(ticket=OuterRef("pk"))
    soonest = pending.order_by("due_at").values("due_at")[:1]
    return tickets.filter(Exists(pending)).annotate(return_visit_due=Subquery(soonest))


def queue_count(tickets: QuerySet[Ticket]) -> int:
    """How many of these tickets have an open return visit."""
    return _open_visits().filter(ticket__in=tickets).values("ticket_id").distinct().count()


RETURN_VISITS = DeskQueue(
    value="return_visits",
    label=_("Return visits due"),
    tickets=queue_tickets,
    count=queue_count,
    column=(_("Return visit due"), "return_visit_due"),
)
