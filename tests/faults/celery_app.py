"""The project's Celery app for the fault suite's workers: a killed worker's unacknowledged task is
handed out again within seconds (production: visibility_timeout 3600 s, restore sweep every ~100 s)."""

import os

from config.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": int(os.environ.get("FAULTS_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app"]
