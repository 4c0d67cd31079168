"""Thin Celery tasks of the intake channels: sending to customers, polling mailboxes, processing items."""

import smtplib

from celery import shared_task
from django.db import OperationalError

from complaints import notifications

from . import imap, outbound, services


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
def send_delivery(self, delivery_id: int) -> str:
    """Send one delivery (acknowledgement, reply, resolution, status update, survey link); safe to run twice (a sent delivery is left alone)."""
    delivery = outbound.send_delivery(
        delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries
    )
    return delivery.state if delivery else "missing"


@shared_task(
    acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, soft_time_limit=50, time_limit=60
)
def process_item(item_id: int) -> str:
    """Process one stored inbound item (a no-op once it is processed)."""
    return services.process_item(item_id=item_id).state


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    # Over a day of retries: the platform keeps the media for three days.
    max_retries=30,
    soft_time_limit=50,
    time_limit=60,
)
def fetch_wechat_media(item_id: int) -> str:
    """Download a WeChat image or voice message as the ticket's evidence; safe to run twice."""
    return services.fetch_wechat_media(item_id=item_id)


@shared_task(
    acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, soft_time_limit=50, time_limit=60
)
def requeue_stranded_deliveries() -> int:
    """The outbox (beat, every OUTBOX_REQUEUE_INTERVAL): queued deliveries whose publish was lost go
    again, and so does the staff mail kept while the broker was away (complaints.notifications)."""
    ids = outbound.requeue_stranded()
    if len(ids) >= 500:
        requeue_stranded_deliveries.delay()
    return len(ids) + notifications.requeue_staff_mail()


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, OperationalError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=110,
    time_limit=120,
)
def sync_kf_messages(account_id: int, event_token: str) -> int:
    """Fetch an Enterprise WeChat customer-service account's new messages (after its event)."""
    return services.sync_kf_messages(account_id=account_id, event_token=event_token)


@shared_task(acks_late=True, soft_time_limit=110, time_limit=120)
def poll_mailboxes() -> dict[str, int]:
    """One poll of every active mailbox (the beat runs it every minute)."""
    return imap.poll_all_mailboxes()
