"""Supervisors' console: write-only secrets, failed items and the reprocess action."""

import pytest

from channels_intake import services
from channels_intake.models import InboundItem, Mailbox, OutboundMessage, WebhookChannel, WeChatAccount
from complaints.models import ConfigChange, Ticket
from tests.factories import AgentFactory


@pytest.fixture
def admin_client(client, supervisor):
    supervisor.is_superuser = True
    supervisor.save()
    client.force_login(supervisor)
    return client


@pytest.mark.django_db
def test_mailbox_password_is_encrypted_write_only_and_kept_when_left_empty(admin_client):
    data = {
        "name": "Support",
        "address": "support@desk.example",
        "host": "imap.example.com",
        "port": 993,
        "security": "ssl",
        "username": "support",
        "password": "p@ss-word",
        "folder": "INBOX",
        "processed_folder": "",
        "batch_size": 50,
        "is_active": "on",
    }
    assert admin_client.post("/admin/channels_intake/mailbox/add/", data).status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.password == "p@ss-word"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM channels_intake_mailbox")
        assert "p@ss-word" not in cursor.fetchone()[0]
    page = admin_client.get(f"/admin/channels_intake/mailbox/{mailbox.pk}/change/").content.decode()
    assert "p@ss-word" not in page
    admin_client.post(
        f"/admin/channels_intake/mailbox/{mailbox.pk}/change/", {**data, "password": "", "name": "S2"}
    )
    mailbox.refresh_from_db()
    assert mailbox.name == "S2" and mailbox.password == "p@ss-word"


@pytest.mark.django_db
def test_failed_items_are_listed_and_reprocessed_from_admin(admin_client, monkeypatch):
    original = services.NORMALISERS["web"]
    monkeypatch.setitem(services.NORMALISERS, "web", lambda item: (_ for _ in ()).throw(RuntimeError("boom")))
    item = services.submit_web_form(
        submission_id="s-1",
        fields={"name": "A", "email": "a@example.com", "subject": "Late", "description": "Parcel late"},
        files=[],
    )
    assert item.state == "failed"
    listing = admin_client.get("/admin/channels_intake/inbounditem/?state__exact=failed").content.decode()
    assert "boom" in listing
    monkeypatch.setitem(services.NORMALISERS, "web", original)
    response = admin_client.post(
        "/admin/channels_intake/inbounditem/",
        {"action": "reprocess", "_selected_action": [item.pk]},
        follow=True,
    )
    assert "1 item processed" in response.content.decode()
    item.refresh_from_db()
    assert item.state == InboundItem.State.PROCESSED and Ticket.objects.count() == 1


@pytest.mark.django_db
def test_raw_payload_is_not_shown_in_admin(admin_client):
    item, _ = services.receive(channel="web", source_id="web:z", raw='{"email": "secret@example.com"}')
    page = admin_client.get(f"/admin/channels_intake/inbounditem/{item.pk}/change/").content.decode()
    assert "secret@example.com" not in page


@pytest.fixture
def supervisor_console(client, supervisor):
    """The Supervisors group's permissions only, as in production."""
    client.force_login(supervisor)
    return client


@pytest.mark.django_db
def test_wechat_token_and_webhook_secret_are_write_only_and_never_rendered(supervisor_console):
    account = WeChatAccount.objects.create(slug="gh", name="Service account", token="wx-token-7f3a9c")
    channel = WebhookChannel.objects.create(slug="app", name="App feedback", secret="hmac-secret-51b2e8")
    for url, secret, name in (
        (f"/admin/channels_intake/wechataccount/{account.pk}/change/", "wx-token-7f3a9c", "token"),
        (f"/admin/channels_intake/webhookchannel/{channel.pk}/change/", "hmac-secret-51b2e8", "secret"),
    ):
        page = supervisor_console.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert secret not in html
        assert f'type="password" name="{name}"' in html
        assert "Leave empty to keep the current value." in html


@pytest.mark.django_db
def test_secret_changes_are_audited_as_changed_without_the_value(supervisor_console, supervisor):
    data = {
        "name": "Support",
        "address": "support@desk.example",
        "host": "imap.example.com",
        "port": 993,
        "security": "ssl",
        "username": "support",
        "password": "first-p4ss",
        "folder": "INBOX",
        "processed_folder": "",
        "batch_size": 50,
        "is_active": "on",
    }
    assert supervisor_console.post("/admin/channels_intake/mailbox/add/", data).status_code == 302
    mailbox = Mailbox.objects.get()
    url = f"/admin/channels_intake/mailbox/{mailbox.pk}/change/"
    # Left empty: the password is kept and nothing about it is recorded.
    supervisor_console.post(url, {**data, "password": "", "host": "imap2.example.com"})
    supervisor_console.post(url, {**data, "password": "second-p4ss", "host": "imap2.example.com"})

    added, host_changed, password_changed = ConfigChange.objects.order_by("pk")
    assert added.action == "added" and added.changes["password"] == [None, "(changed)"]
    assert host_changed.changes == {"host": ["imap.example.com", "imap2.example.com"]}
    assert password_changed.changes == {"password": ["(secret)", "(changed)"]}
    assert password_changed.user == supervisor
    everything = str(list(ConfigChange.objects.values_list("changes", "object_repr")))
    assert "first-p4ss" not in everything and "second-p4ss" not in everything
    mailbox.refresh_from_db()
    assert mailbox.password == "second-p4ss"


@pytest.mark.django_db
def test_agents_cannot_reach_channel_configuration(client, team):
    agent = AgentFactory(team=team, is_staff=True)
    client.force_login(agent)
    for url in ("/admin/channels_intake/mailbox/add/", "/admin/channels_intake/webhookchannel/"):
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_send_again_queues_only_the_unsent_deliveries_and_they_go_out(
    admin_client, deliveries, django_capture_on_commit_callbacks, mailoutbox
):
    from complaints import services as complaint_services

    with django_capture_on_commit_callbacks(execute=True):
        complaint_services.open_ticket(
            actor=None,
            channel="web",
            customer=complaint_services.CustomerDetails(email="ana@example.com", language="en"),
            subject="Router",
            description="The router keeps dropping.",
        )
    deliveries.run()
    sent = OutboundMessage.objects.get()
    failed = OutboundMessage.objects.create(
        key="reply:test",
        ticket=sent.ticket,
        purpose=OutboundMessage.Purpose.ACKNOWLEDGEMENT,
        transport=OutboundMessage.Transport.EMAIL,
        recipient="ana@example.com",
        email_message_id="<again@desk.example>",
        state=OutboundMessage.State.FAILED,
        attempts=8,
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/channels_intake/outboundmessage/",
            {"action": "send_again", "_selected_action": [sent.pk, failed.pk]},
        )
    assert response.status_code == 302
    assert deliveries.queued == [failed.pk]  # the one already sent is not sent twice
    deliveries.run()
    failed.refresh_from_db()
    assert failed.state == OutboundMessage.State.SENT and [m.to for m in mailoutbox] == [["ana@example.com"]]
