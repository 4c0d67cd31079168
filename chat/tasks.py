"""Thin Celery tasks of the chat: the sweep, for when no agent's console is open to run it."""

from celery import shared_task

from . import services


@shared_task(soft_time_limit=20, time_limit=30)
def sweep() -> int:
    """Lapsed offers to the next agent, dropped agents' chats back to the queue; safe to run twice."""
    return services.sweep()
