"""Thin Celery tasks of the handoffs app: sending to partners, the due-time sweep and its warning mails."""

import smtplib

from celery import shared_task
from django.db import OperationalError

from config.celery import SWEEP_TASK

from . import mailing, notifications, services

SWEEP_BATCH_SIZE = 200


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError, OperationalError),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=50,
    time_limit=60,
)
def send_handoff_mail(self, mail_id: int) -> str:
    """Send one hand-off e-mail; safe to run twice (a sent mail is left alone)."""
    mail = mailing.send_handoff_mail(mail_id=mail_id, final_attempt=self.request.retries >= self.max_retries)
    return mail.state if mail else "missing"


@shared_task(**SWEEP_TASK)
def sweep() -> int:
    """Warn once about hand-offs near or past their due time; re-queues itself while batches are full."""
    fired = services.fire_due_warnings(batch_size=SWEEP_BATCH_SIZE)
    if len(fired) == SWEEP_BATCH_SIZE:
        sweep.delay()
    return len(fired)


# Not acks_late: a mail is not idempotent, and the warning itself is already recorded on the hand-off.
@shared_task(soft_time_limit=50, time_limit=60)
def send_warnings(warnings: list[list[int]]) -> int:
    return sum(
        notifications.send_warning_mail(handoff_id=handoff_id, overdue=bool(overdue))
        for handoff_id, overdue in warnings
    )
