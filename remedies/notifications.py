"""E-mail to the owner of an overdue fulfilment item (sent by tasks.send_overdue_warnings), in each
owner's language."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import preferences

from .models import Fulfilment
from .services import describe


def send_overdue_warnings(*, fulfilment_ids: list[int]) -> int:
    """One mail per overdue item to its owner: who proposed the remedy, else the ticket's assignee."""
    sent = 0
    items = (
        Fulfilment.objects.filter(pk__in=fulfilment_ids, state=Fulfilment.State.PENDING)
        .select_related("remedy__proposed_by", "remedy__ticket__assignee")
        .order_by("pk")
    )
    for item in items:
        owner = item.remedy.proposed_by or item.remedy.ticket.assignee
        if owner is None or not owner.email:
            continue
        ticket = item.remedy.ticket
        for language, addresses in preferences.recipients_by_language([owner]):
            with translation.override(language):
                subject = _("[%(ref)s] Remedy overdue: %(remedy)s") % {
                    "ref": ticket.reference,
                    "remedy": describe(item.remedy),
                }
                body = _(
                    "%(remedy)s on ticket %(ref)s was due %(due)s and is not recorded done yet.\n"
                    "Check with finance, or record why it failed: %(url)s"
                ) % {
                    "remedy": describe(item.remedy),
                    "ref": ticket.reference,
                    "due": timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M"),
                    "url": settings.SITE_URL + reverse("desk:ticket", args=[ticket.reference]),
                }
            sent += send_mail(subject, body, None, addresses)
    return sent
