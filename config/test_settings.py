"""Settings for the test suite: the real settings with fixed keys and an in-memory broker.

DATABASE_URL and REDIS_URL still choose the database and cache, so the same suite
runs on SQLite and on PostgreSQL/Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks-0123456789")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "q4sM0Q6gE7bWJ2o5WnB0h7kSxS9m3zTqvZbq9Yw0f1c=")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# The suite runs with DEBUG off and prints SMS; what the console prints is never counted as delivered.
os.environ.setdefault("ALLOW_CONSOLE_BACKENDS", "1")
os.environ.setdefault("SMS_BACKEND", "channels_intake.outbound.sms.ConsoleSmsBackend")
os.environ.setdefault("VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from .settings import *  # noqa: F403
from .settings import CACHES, REDIS_URL

# Tasks queued in unit tests go nowhere; end-to-end tests start a real worker instead.
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"

# WhiteNoise serves STATIC_ROOT and warns on every request when the folder is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Tests assert English text unless they ask for Chinese (Accept-Language, translation.override);
# the product's default stays zh-hans, and tests/test_translations.py proves the Chinese pages.
LANGUAGE_CODE = "en"
