"""E-mail to those who may approve a held remedy (tasks.ask_for_approval) and to the owner of an
overdue fulfilment item (tasks.send_overdue_warnings), each in the recipient's language."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import preferences
from complaints.models import TeamMembership
from complaints.selectors import SUPERVISORS_GROUP

from .models import ApprovalLevel, Fulfilment, Remedy
from .services import describe


def _approvers(remedy: Remedy) -> list:
    """The leads of its ticket's current team for a lead-level remedy (the supervisors when it has none), else the
    supervisors; never its proposer."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if remedy.proposed_by_id:
        users = users.exclude(pk=remedy.proposed_by_id)
    supervisors = users.filter(groups__name=SUPERVISORS_GROUP).distinct()
    if remedy.required_level != ApprovalLevel.TEAM_LEAD:
        return list(supervisors)
    leads = TeamMembership.objects.filter(team_id=remedy.ticket.team_id, role=TeamMembership.Role.LEAD)
    return list(users.filter(pk__in=leads.values("user"))) or list(supervisors)


def ask_for_approval(*, remedy_id: int) -> int:
    """Tell those who may approve it that a remedy awaits them (nothing once it is decided)."""
    remedy = (
        Remedy.objects.filter(pk=remedy_id, state=Remedy.State.AWAITING_APPROVAL)
        .select_related("ticket", "proposed_by")
        .first()
    )
    if remedy is None:
        return 0
    sent = 0
    for language, addresses in preferences.recipients_by_language(_approvers(remedy)):
        with translation.override(language):
            subject = _("[%(ref)s] Remedy awaiting your approval: %(remedy)s") % {
                "ref": remedy.ticket.reference,
                "remedy": describe(remedy),
            }
            body = _(
                "%(remedy)s is proposed on ticket %(ref)s and holds its resolution until it is decided.\n"
                "Approve, change or refuse it: %(url)s"
            ) % {
                "remedy": describe(remedy),
                "ref": remedy.ticket.reference,
                "url": settings.SITE_URL + reverse("remedies:approvals"),
            }
        sent += send_mail(subject, body, None, addresses)
    return sent


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
