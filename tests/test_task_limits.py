"""Every Celery task can be queued: a soft time limit above the hard one (the soft one defaults to
CELERY_TASK_SOFT_TIME_LIMIT) makes each .delay() raise, which broke opening tickets once."""

import pytest
from django.conf import settings

from config.celery import app


@pytest.mark.django_db
def test_every_tasks_soft_time_limit_is_within_its_hard_limit():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert len(ours) > 10
    for name, task in ours.items():
        soft = task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        hard = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert soft <= hard, f"{name}: soft limit {soft} s above hard limit {hard} s"
