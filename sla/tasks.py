"""Thin Celery tasks of the sla app: the beat sweep and the alert e-mails."""

from celery import shared_task

from config.celery import SWEEP_TASK

from . import notifications, services

SWEEP_BATCH_SIZE = 500


@shared_task(**SWEEP_TASK)
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
def send_alert(alert_id: int | list[int]) -> int:
    """E-mail the people SLA warnings or breaches concern. Returns how many mails went out (recipients).

    The sweep queues a list of alert ids; a single id is what it queued before, still accepted.
    Each alert is sent at most once, so a retry after a failed mail skips the ones already sent.
    """
    alert_ids = alert_id if isinstance(alert_id, list) else [alert_id]
    return sum(notifications.send_alert_mail(alert_id=pk) for pk in alert_ids)
