"""The complaint core's own reactions to its signals: the staff mail, queued on commit."""

from collections.abc import Sequence
from itertools import batched
from typing import Any

from . import notifications
from .models import TicketEvent


def queue_staff_mail(sender: type, *, events: Sequence[TicketEvent], **kwargs: Any) -> None:
    """One notify_staff task per STAFF_MAIL_CHUNK of the batch's events staff are told about."""
    told = [event.pk for event in events if event.kind in notifications.STAFF_NOTIFIED]
    for chunk in batched(told, notifications.STAFF_MAIL_CHUNK):
        notifications.queue_staff_mail("complaints.tasks.notify_staff", list(chunk))


def revoke_api_tokens_with_the_password(
    sender: type, *, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """A new password (a reset after a leak, an admin's change) or a deactivated account ends the
    account's API token too, as it ends its sessions: a token handed out before is no longer valid."""
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or (update_fields and not {"password", "is_active"} & set(update_fields)):
        return  # e.g. the last_login stamp on every sign-in: no query
    stored = sender.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    if stored is None or (stored[0] == instance.password and (instance.is_active or not stored[1])):
        return
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user_id=instance.pk).delete()
