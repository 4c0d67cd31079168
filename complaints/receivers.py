"""The complaint core's own reactions to its signals: the staff mail, queued on commit."""

from collections.abc import Sequence
from itertools import batched
from typing import Any

from . import notifications, tasks
from .models import TicketEvent


def queue_staff_mail(sender: type, *, events: Sequence[TicketEvent], **kwargs: Any) -> None:
    """One notify_staff task per STAFF_MAIL_CHUNK of the batch's events staff are told about."""
    told = [event.pk for event in events if event.kind in notifications.STAFF_NOTIFIED]
    for chunk in batched(told, notifications.STAFF_MAIL_CHUNK):
        tasks.notify_staff.delay_on_commit(list(chunk))
