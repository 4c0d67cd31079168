"""Issue 15 item 12: rotate_pii_keys re-encrypts every encrypted column, and check_pii_keys lists what an
old key still holds, so following docs/deploy.md (rotate, check, drop the old key) loses nothing."""

import json

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from channels_intake import webhooks, wechat
from channels_intake.models import InboundItem, Mailbox, OutboundMessage, WebhookChannel, WeChatAccount
from complaints import pii
from complaints.models import Customer, Ticket
from tests.factories import CustomerFactory

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
NOW = 1_750_000_000


def column(model, name: str, pk: int) -> str:
    """A column exactly as the database holds it."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(name)} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def under_key_a(db, settings):
    """One row of every kind that holds encrypted data, written under KEY_A only."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    customer = CustomerFactory(name="王小明", email="wang@example.com", phone="13800138000")
    hook = WebhookChannel.objects.create(slug="app", name="App", channel="app", secret="webhook-secret")
    account = WeChatAccount.objects.create(slug="service", name="Service", token="wechat-token")
    mailbox = Mailbox.objects.create(
        name="Box",
        address="complaints@desk.example",
        host="imap.example.com",
        username="u",
        password="imap-pw",
    )
    item = InboundItem.objects.create(
        channel="email", source_id="<raw@x>", raw=InboundItem.encode_bytes(b"raw mail")
    )
    ticket = Ticket.objects.create(reference="CMP-0000000A", customer=customer, subject="s", description="d")
    delivery = OutboundMessage.objects.create(
        key="k", ticket=ticket, purpose="reply", transport="sms", recipient="13800138000"
    )
    return {
        "customer": customer,
        "hook": hook,
        "account": account,
        "mailbox": mailbox,
        "item": item,
        "delivery": delivery,
    }


EXPECTED_COLUMNS = {
    "complaints.Customer": {"name", "email", "phone"},
    "channels_intake.WebhookChannel": {"secret"},
    "channels_intake.WeChatAccount": {"token"},
    "channels_intake.Mailbox": {"password"},
    "channels_intake.InboundItem": {"raw"},
    "channels_intake.OutboundMessage": {"recipient"},
}


def test_every_encrypted_column_is_found_by_its_field_class(db):
    found = {model._meta.label: set(names) for model, names in pii.encrypted_columns()}
    for label, names in EXPECTED_COLUMNS.items():
        assert names <= found.get(label, set()), label


def test_check_lists_every_column_still_under_an_old_key(under_key_a, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    with pytest.raises(CommandError, match="not under the newest key"):
        call_command("check_pii_keys")
    out = capsys.readouterr().out
    for label, names in EXPECTED_COLUMNS.items():
        for name in names:
            assert f"{label}.{name}: 1 under an old key" in out, (label, name, out)


def test_rotation_covers_every_column_and_the_old_key_can_then_be_dropped(
    under_key_a, settings, client, capsys
):
    rows = under_key_a
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_pii_keys", batch_size=1)
    call_command("check_pii_keys")
    assert "Every encrypted value is under the newest key" in capsys.readouterr().out
    call_command("rotate_pii_keys", check=True)  # the same check through the rotation command

    newest = Fernet(KEY_B.encode())
    assert newest.decrypt(column(WebhookChannel, "secret", rows["hook"].pk).encode()) == b"webhook-secret"
    assert (
        newest.decrypt(column(OutboundMessage, "recipient", rows["delivery"].pk).encode()) == b"13800138000"
    )

    # docs/deploy.md: now remove the old key. Everything still reads and works.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert Customer.objects.get(pk=rows["customer"].pk).name == "王小明"
    assert Mailbox.objects.get(pk=rows["mailbox"].pk).password == "imap-pw"
    assert InboundItem.objects.get(pk=rows["item"].pk).raw_bytes == b"raw mail"
    assert OutboundMessage.objects.get(pk=rows["delivery"].pk).recipient == "13800138000"
    assert WeChatAccount.objects.get(pk=rows["account"].pk).token == "wechat-token"

    params = {"timestamp": "1700000000", "nonce": "n", "echostr": "echo"}
    params["signature"] = wechat.signature("wechat-token", params["timestamp"], params["nonce"])
    response = client.get("/intake/wechat/service/", params)
    assert response.status_code == 200 and response.content == b"echo"

    body = json.dumps({"user_id": "u-1", "description": "The app crashes when I pay."}).encode()
    headers = {
        "HTTP_X_TIMESTAMP": str(NOW),
        "HTTP_X_SIGNATURE": webhooks.sign(secret="webhook-secret", timestamp=str(NOW), body=body),
        "HTTP_IDEMPOTENCY_KEY": "rot-1",
    }
    with time_machine.travel(NOW, tick=False):
        pushed = client.post("/intake/webhooks/app/", body, content_type="application/json", **headers)
    assert pushed.status_code == 202, pushed.content


def test_a_value_under_a_dropped_key_is_reported_as_under_no_key(under_key_a, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(CommandError):
        call_command("check_pii_keys")
    assert "channels_intake.WebhookChannel.secret: 0 under an old key, 1 under no configured key" in (
        capsys.readouterr().out
    )
    with pytest.raises(CommandError, match="add that key back"):
        call_command("rotate_pii_keys")
