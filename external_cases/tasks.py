"""Thin Celery tasks of the external_cases app: the deadline sweep and its alert mails."""

from celery import shared_task

from config.celery import SWEEP_TASK

from . import notifications, services

SWEEP_BATCH_SIZE = 200


@shared_task(**SWEEP_TASK)
def sweep() -> int:
    """Fire the external cases' due warnings and missed deadlines; re-queues itself while batches are full."""
    fired = services.fire_due_alerts(batch_size=SWEEP_BATCH_SIZE)
    if len(fired) == SWEEP_BATCH_SIZE:
        sweep.delay()
    return len(fired)


# Not acks_late: a mail is not idempotent, and the alert itself is already recorded on the case.
@shared_task(soft_time_limit=50, time_limit=60)
def send_case_alerts(alerts: list[list[int]] | list[tuple[int, int]]) -> int:
    return sum(
        notifications.send_case_alert_mail(case_id=case_id, percent=percent) for case_id, percent in alerts
    )
