"""Thin Celery tasks of the remedies app: the overdue sweep and its mail."""

from celery import shared_task

from config.celery import SWEEP_TASK

from . import notifications, services


@shared_task(**SWEEP_TASK)
def warn_overdue_fulfilment() -> int:
    """The beat's sweep: each pending item past its due time warns its owner once."""
    return len(services.warn_overdue())


# Not acks_late: a mail is not idempotent; the item's warned_at was set once by the sweep.
@shared_task(soft_time_limit=50, time_limit=60)
def send_overdue_warnings(fulfilment_ids: list[int]) -> int:
    return notifications.send_overdue_warnings(fulfilment_ids=fulfilment_ids)


# Not acks_late: a mail is not idempotent.
@shared_task(soft_time_limit=50, time_limit=60)
def ask_for_approval(remedy_id: int) -> int:
    return notifications.ask_for_approval(remedy_id=remedy_id)
