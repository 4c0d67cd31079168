"""Thin Celery tasks calling the assistant's services."""

from celery import shared_task

from config.celery import REPEATABLE_TASK

from . import services


# Both limits given: the soft one defaults to CELERY_TASK_SOFT_TIME_LIMIT (240 s), and a soft limit
# above the hard one makes every .delay() raise.
@shared_task(**REPEATABLE_TASK, soft_time_limit=50, time_limit=60)
def suggest_for_ticket(ticket_id: int) -> int | None:
    """One suggestion per ticket (a second run finds the first)."""
    suggestion = services.suggest_for_ticket(ticket_id=ticket_id)
    return suggestion.pk if suggestion else None


@shared_task(acks_late=True, soft_time_limit=29 * 60, time_limit=30 * 60)
def train() -> str:
    """The weekly retraining; refuses a model worse than the one in use."""
    return services.train().message
