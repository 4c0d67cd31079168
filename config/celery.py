"""The Celery application; its configuration lives in Django settings (CELERY_*)."""

import functools
import logging
import os
import time

from celery import Celery, signals
from celery.contrib.django.task import DjangoTask
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)


# A task safe to run twice (it picks its work by state): acknowledged once it has run, retried with
# backoff while the database is briefly unavailable. Spread into @shared_task(...) by the apps' tasks.
REPEATABLE_TASK = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}
# The periodic sweeps (SLA clocks, external cases, hand-offs, ...): one batch within a minute.
SWEEP_TASK = {**REPEATABLE_TASK, "soft_time_limit": 50, "time_limit": 60}


# Publishing after commit retries once, briefly (Celery's default pauses add up to a second per job,
# and a request queues several); after a failure the process tries each next job once, without a
# pause, for QUICK_ATTEMPT_SECONDS. What does not go is left to the outbox re-queue.
ON_COMMIT_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
QUICK_ATTEMPT_SECONDS = 10.0
_QUICK = {"max_retries": 0}
_failed_at = [float("-inf")]


def _publish_or_leave(task: "OutboxTask", args: tuple, kwargs: dict, options: dict) -> None:
    """Publish after commit; a broker that is down leaves the job to the outbox's re-queue.

    The rows are committed by then: raising would turn the request that wrote them into an error
    page (and drop the other jobs queued on the same commit). Deliveries to customers are re-queued
    by `channels_intake.tasks.requeue_stranded_deliveries` once their `requeue_after` has passed.
    """
    quick = time.monotonic() - _failed_at[0] < QUICK_ATTEMPT_SECONDS
    try:
        if "delay" in vars(task):
            task.delay(*args, **kwargs)  # a test's stand-in for the broker
        else:
            policy = _QUICK if quick else ON_COMMIT_RETRY
            task.apply_async(args, kwargs, **{"retry_policy": policy, **options})
    except BrokerUnavailable as exc:
        _failed_at[0] = time.monotonic()
        logger.warning(
            "broker unavailable, %s not queued (left to the periodic re-queue): %s", task.name, exc
        )
    else:
        _failed_at[0] = float("-inf")


class OutboxTask(DjangoTask):
    """`delay_on_commit` that never fails the committed request when the broker is unreachable."""

    def delay_on_commit(self, *args: object, **kwargs: object) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(_publish_or_leave, self, args, kwargs, {}))

    def apply_async_on_commit(self, args: tuple = (), kwargs: dict | None = None, **options: object) -> None:
        from django.db import transaction

        transaction.on_commit(functools.partial(_publish_or_leave, self, tuple(args), kwargs or {}, options))


def queue_after_commit(task_name: str, *args: object, options: dict | None = None, **kwargs: object) -> None:
    """Queue a registered task, by name, once the current transaction commits.

    Services queue their follow-up work through this instead of importing their app's `tasks`
    module (which imports the services: a cycle). The task keeps its own routing and retries.
    """
    if task_name not in app.tasks:
        # Outside the worker the apps' tasks modules are imported on first need (autodiscovery).
        app.loader.import_default_modules()
    task = app.tasks[task_name]
    if options:
        task.apply_async_on_commit(args, kwargs, **options)
    else:
        task.delay_on_commit(*args, **kwargs)


app = Celery("complaint_desk", task_cls=OutboxTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks kept in a sub-package of an app (the customer pages of channels_intake).
app.autodiscover_tasks(["channels_intake.customer"])


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def mask_contacts_in_worker_logs(logger: logging.Logger, **kwargs: object) -> None:
    """The worker replaces the root logger's handlers with its own (and the task logger gets one), so
    settings.LOGGING's masking filter is gone there: every handler Celery sets up masks contacts too."""
    from config.log_masking import ContactMaskingFilter

    for handler in logger.handlers:
        if not any(isinstance(f, ContactMaskingFilter) for f in handler.filters):
            handler.addFilter(ContactMaskingFilter())
