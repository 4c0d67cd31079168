"""The project's Celery app for the SLA end-to-end test, its Redis keys under a prefix of its own
so a shared Redis serves other test runs undisturbed."""

import os

from config.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "global_keyprefix": os.environ["SLA_E2E_KEYPREFIX"],
}

__all__ = ["app"]
