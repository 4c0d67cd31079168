"""Thin Celery tasks of the quality app; each is safe to run twice (a unique row or a lock decides)."""

from celery import shared_task

from config.celery import REPEATABLE_TASK, SWEEP_TASK

from . import services


@shared_task(**REPEATABLE_TASK, soft_time_limit=240, time_limit=300)
def sample_last_week() -> int:
    """Draw last week's inspection sample (beat runs it hourly; only the first run of a week draws)."""
    return services.sample_for_week(week_start=services.previous_week()).reviews


@shared_task(**SWEEP_TASK)
def corrective_actions_housekeeping() -> int:
    """Warn owners of overdue actions (once each) and store the effect of actions whose window passed."""
    from . import corrective

    return len(corrective.warn_overdue()) + corrective.store_effects()


@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=50,
    time_limit=60,
)
def mail_overdue_warning(action_ids: list[int]) -> int:
    from . import corrective

    return corrective.mail_overdue_warning(action_ids=action_ids)


@shared_task(**{**REPEATABLE_TASK, "max_retries": 3}, soft_time_limit=540, time_limit=600)
def compute_transparency_snapshot() -> int:
    """Recompute the public figures; the page serves the newest snapshot. Returns the snapshot's id."""
    from . import transparency

    return transparency.compute_snapshot().pk


@shared_task(**SWEEP_TASK)
def send_review_pack() -> int:
    """Claim last month's review pack once the month's first working day has begun (beat runs it
    hourly; the unique month makes every later run a no-op). Returns 1 when it claimed the delivery."""
    from . import review_pack

    return int(review_pack.claim_due_delivery() is not None)


# Not acks_late (a mail is not idempotent) and no automatic retry: a failed send gives the claim
# back, and the next hourly run claims it again.
@shared_task(soft_time_limit=540, time_limit=600)
def mail_review_pack(delivery_id: int) -> int:
    from . import review_pack

    return review_pack.mail_review_pack(delivery_id=delivery_id)
