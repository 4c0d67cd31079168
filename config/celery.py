"""The Celery application; its configuration lives in Django settings (CELERY_*)."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("complaint_desk")
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
