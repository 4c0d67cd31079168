"""The real settings with DEBUG off for the fault suite's web process, minus the static manifest
(collectstatic is not run for a scratch server; pages are what is tested, not their assets)."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
