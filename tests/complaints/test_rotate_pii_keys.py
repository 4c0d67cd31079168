"""rotate_pii_keys: re-encryption under the newest key, blind indexes, refusal on a lost key."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from complaints import pii
from complaints.models import Customer
from tests.factories import CustomerFactory

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def stored(customer: Customer) -> dict[str, str]:
    """The columns exactly as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, phone, email_index, phone_index FROM complaints_customer WHERE id = %s",
            [customer.pk],
        )
        row = cursor.fetchone()
    return dict(zip(["name", "email", "phone", "email_index", "phone_index"], row, strict=True))


def find(email: str = "", phone: str = "") -> Customer | None:
    """Look a customer up the way the services do: through the blind index only."""
    if email:
        return Customer.objects.filter(email_index=pii.blind_index("email", email)).first()
    return Customer.objects.filter(phone_index=pii.blind_index("phone", phone)).first()


@pytest.fixture
def under_key_a(db, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    return [
        CustomerFactory(name="王小明", email="wang@example.com", phone="13800138000"),
        CustomerFactory(name="Jane Roe", email="jane@example.org", phone=""),
    ]


def test_rotation_re_encrypts_every_field_under_the_newest_key(under_key_a, settings):
    before = [stored(c) for c in under_key_a]
    assert Fernet(KEY_A.encode()).decrypt(before[0]["name"].encode()).decode() == "王小明"

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_pii_keys", batch_size=1)

    newest_only = Fernet(KEY_B.encode())
    wang, jane = (stored(c) for c in under_key_a)
    assert newest_only.decrypt(wang["name"].encode()).decode() == "王小明"
    assert newest_only.decrypt(wang["email"].encode()).decode() == "wang@example.com"
    assert newest_only.decrypt(wang["phone"].encode()).decode() == "13800138000"
    assert newest_only.decrypt(jane["email"].encode()).decode() == "jane@example.org"
    assert jane["phone"] == ""
    with pytest.raises(InvalidToken):
        Fernet(KEY_A.encode()).decrypt(wang["name"].encode())
    # Nothing readable in the columns, and the indexes did not move.
    assert "王小明" not in wang["name"] and "wang@" not in wang["email"]
    assert wang["email_index"] == before[0]["email_index"]

    # The old key can now be dropped: reads and lookups still work.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert Customer.objects.get(pk=under_key_a[0].pk).name == "王小明"
    assert find(email="WANG@example.com") == under_key_a[0]
    assert find(phone="+86 138-0013-8000") == under_key_a[0]


def test_reindex_rebuilds_lookups_after_the_index_key_changed(under_key_a, settings):
    settings.BLIND_INDEX_KEY = "a-brand-new-blind-index-key"
    assert find(email="jane@example.org") is None

    call_command("rotate_pii_keys", reindex=True)

    assert find(email="jane@example.org") == under_key_a[1]
    assert find(phone="13800138000") == under_key_a[0]
    assert stored(under_key_a[1])["phone_index"] == ""


def test_data_under_a_dropped_key_stops_the_command_with_advice(under_key_a, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # KEY_A removed before its data was rotated
    with pytest.raises(CommandError, match="add that key back"):
        call_command("rotate_pii_keys")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert Customer.objects.get(pk=under_key_a[0].pk).email == "wang@example.com"
