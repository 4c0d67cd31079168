"""The Celery application; its configuration lives in Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("complaint_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks kept in a sub-package of an app (the customer pages of channels_intake).
app.autodiscover_tasks(["channels_intake.customer"])
