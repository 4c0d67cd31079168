"""Thin Celery tasks of the sla app: the beat sweep and the alert e-mails."""

from celery import shared_task
from django.db import OperationalError

from . import notifications, services

SWEEP_BATCH_SIZE = 500


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def sweep() -> int:
    """Fire every SLA warning and breach that is due; safe to run concurrently. Returns alerts fired.

    Re-queues itself while batches come back full, so a backlog drains without waiting for beat.
    """
    result = services.fire_due_clocks(batch_size=SWEEP_BATCH_SIZE)
    if result.picked == SWEEP_BATCH_SIZE and result.tickets:
        sweep.delay()
    return result.fired


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def send_alert(alert_id: int) -> int:
    """E-mail the people an SLA warning or breach concerns. Returns how many were mailed."""
    return notifications.send_alert_mail(alert_id=alert_id)
