"""Personal data: encryption at rest, blind indexes for exact lookup, masking for display.

Values are encrypted with MultiFernet over FIELD_ENCRYPTION_KEYS (newest first), so
keys rotate without downtime: old tokens stay readable, `rotate_pii_keys` re-encrypts.
Exact lookups go through a keyed HMAC of the normalised value (the blind index);
the clear text is never queried.
"""

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def cipher() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was dropped before its data was rotated
        raise ValueError("Cannot decrypt personal data: is its key still in FIELD_ENCRYPTION_KEYS?") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return cipher().rotate(token.encode()).decode()


@lru_cache(maxsize=4)
def _single_keys(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    return tuple(Fernet(key.encode()) for key in keys)


def key_position(token: str) -> int | None:
    """Which FIELD_ENCRYPTION_KEYS key a token is under: 0 for the newest, None when no key opens it."""
    for position, fernet in enumerate(_single_keys(tuple(settings.FIELD_ENCRYPTION_KEYS))):
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            continue
        return position
    return None


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every stored model with its encrypted columns, found by field class (so a new one is never missed)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        names = [f.name for f in meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return sorted(found, key=lambda entry: entry[0]._meta.label)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits only, without the China country code, so +86 138-0013-8000 == 13800138000."""
    digits = re.sub(r"\D", "", phone)
    if phone.strip().startswith("+") and digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    elif digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    return digits


NORMALISERS = {"email": normalise_email, "phone": normalise_phone}


def blind_index(kind: str, value: str) -> str:
    """Keyed hash of a normalised e-mail or phone; empty for an empty value."""
    normalised = NORMALISERS[kind](value or "")
    if not normalised:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****1234: keep the operator prefix and the last four digits."""
    digits = normalise_phone(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(email: str) -> str:
    """z***@example.com"""
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """张** / J*** : the first character only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 2)


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet tokens; Python sees the clear text."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
