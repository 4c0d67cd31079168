"""Privacy operations: everything about a customer as a ZIP, erasure everywhere, and the retention job."""

import csv
import io
import threading
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from channels_intake import services as intake
from channels_intake.models import CustomerIdentity, InboundItem, OutboundMessage
from complaints import privacy, selectors, services
from complaints.errors import ComplaintError
from complaints.models import (
    Attachment,
    Customer,
    ExportRecord,
    Message,
    PiiAccess,
    RetentionPolicy,
    Ticket,
)
from feedback.models import Survey, SurveyAnswer
from tests.factories import AgentFactory, RootCauseFactory, TicketFactory

pytestmark = pytest.mark.django_db

EMAIL = "li.na@example.com"
PHONE = "13912345678"


def submit(
    submission_id: str = "s-1",
    *,
    email: str = EMAIL,
    phone: str = PHONE,
    description: str = "我的快递丢了，单号 SF123",
) -> Ticket:
    """A complaint through the real web form: raw item stored, customer found or created, ticket opened."""
    item = intake.submit_web_form(
        submission_id=submission_id,
        fields={
            "name": "李娜",
            "email": email,
            "phone": phone,
            "subject": "快递丢失",
            "description": description,
            "desired_outcome": "全额退款",
        },
        files=[],
    )
    assert item.state == InboundItem.State.PROCESSED, item.error
    return item.ticket


def close(ticket: Ticket, *, days_ago: int) -> None:
    """Test set-up: a ticket closed some time ago (the path through the services is proven elsewhere)."""
    Ticket.objects.filter(pk=ticket.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=days_ago)
    )


def answered_survey(ticket: Ticket, *, comment: str) -> SurveyAnswer:
    resolution = ticket.resolutions.create(root_cause=RootCauseFactory(), steps_taken="Refunded.")
    now = timezone.now()
    survey = Survey.objects.create(
        resolution=resolution,
        ticket=ticket,
        customer=ticket.customer,
        state="answered",
        send_after=now,
        sent_at=now,
        answered_at=now,
    )
    return SurveyAnswer.objects.create(
        survey=survey, rating=2, comment=comment, answered_at=now, updated_at=now, edit_until=now
    )


def attach(ticket: Ticket, name: str = "receipt.png") -> Attachment:
    attachment = Attachment(
        ticket=ticket, original_name=name, content_type="image/png", size=4, sha256="0" * 64
    )
    attachment.file.save(name, ContentFile(b"\x89PNG"), save=False)
    attachment.save()
    return attachment


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# --- export ---------------------------------------------------------------------------------


def test_export_is_a_zip_of_csv_files_with_contact_data_in_clear_and_is_audited(supervisor):
    ticket = submit()
    attachment = attach(ticket)
    answered_survey(ticket, comment="太慢了")
    services.add_message(ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="还没到")
    CustomerIdentity.objects.create(channel="wechat", external_id="oOPENID-1", customer=ticket.customer)

    export = privacy.export_customer(actor=supervisor, customer_id=ticket.customer_id)

    files = unzip(export.content)
    assert {
        "customer.csv",
        "tickets.csv",
        "messages.csv",
        "resolutions.csv",
        "events.csv",
        "attachments.csv",
        "surveys.csv",
        "channel_identities.csv",
    } <= set(files)
    (customer,) = rows(files["customer.csv"])
    assert (customer["name"], customer["email"], customer["phone"]) == ("李娜", EMAIL, PHONE)
    (exported_ticket,) = rows(files["tickets.csv"])
    assert exported_ticket["reference"] == ticket.reference
    assert exported_ticket["description"] == "我的快递丢了，单号 SF123"
    assert exported_ticket["desired_outcome"] == "全额退款"
    assert [m["body"] for m in rows(files["messages.csv"])] == list(
        ticket.messages.order_by("pk").values_list("body", flat=True)
    )
    assert "opened" in [e["kind"] for e in rows(files["events.csv"])]
    assert rows(files["surveys.csv"])[0]["comment"] == "太慢了"
    assert rows(files["channel_identities.csv"])[0]["external_id"] == "oOPENID-1"
    (listed,) = rows(files["attachments.csv"])
    assert files[listed["stored_as"]] == b"\x89PNG" and listed["file_name"] == attachment.original_name

    record = ExportRecord.objects.get()
    assert record.subject == f"customer:{ticket.customer_id}" and record.included_pii
    assert record.file_format == "csv" and record.user == supervisor and record.row_count >= 5
    assert PiiAccess.objects.filter(user=supervisor, customer=ticket.customer).exists()


def test_export_neutralises_spreadsheet_formulas(supervisor):
    ticket = submit(description='=HYPERLINK("http://evil")')
    files = unzip(privacy.export_customer(actor=supervisor, customer_id=ticket.customer_id).content)
    assert rows(files["tickets.csv"])[0]["description"] == '\'=HYPERLINK("http://evil")'


def test_export_button_downloads_the_zip_for_supervisors_only(client, supervisor, team):
    ticket = submit()
    url = reverse("admin:complaints_customer_export", args=[ticket.customer_id])
    client.force_login(supervisor)
    change_page = client.get(
        reverse("admin:complaints_customer_change", args=[ticket.customer_id])
    ).content.decode()
    assert url in change_page and EMAIL not in change_page
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert "customer.csv" in unzip(response.content)

    agent = AgentFactory(team=team, is_staff=True)
    client.force_login(agent)
    assert client.post(url).status_code == 403
    assert ExportRecord.objects.count() == 1


# --- erasure --------------------------------------------------------------------------------


def resolve_and_close(ticket: Ticket) -> None:
    services.resolve(
        ticket_id=ticket.pk, actor=None, version=None, root_cause=RootCauseFactory(), steps_taken="Refunded."
    )
    close(ticket, days_ago=1)


def test_erasing_removes_personal_data_everywhere_but_keeps_the_tickets_counted(
    supervisor, django_capture_on_commit_callbacks
):
    ticket = submit()
    other = submit("s-2", email="someone.else@example.com", phone="13700000001")
    attachment = attach(ticket)
    stored_file = attachment.file.name
    answered_survey(ticket, comment="李娜: 请打电话 13912345678")
    CustomerIdentity.objects.create(channel="wechat", external_id="oOPENID-1", customer=ticket.customer)
    services.add_message(
        ticket_id=ticket.pk, actor=None, kind=Message.Kind.CUSTOMER, body="我的电话 13912345678"
    )
    services.add_message(ticket_id=ticket.pk, actor=supervisor, kind=Message.Kind.REPLY, body="李娜您好")
    resolve_and_close(ticket)
    customer_id, ticket_ids = ticket.customer_id, [ticket.pk]
    assert OutboundMessage.objects.filter(ticket=ticket).exists()
    tickets_before = Ticket.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_customer(actor=supervisor, customer_id=customer_id)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, phone, email_index, phone_index, customer_number FROM complaints_customer "
            "WHERE id = %s",
            [customer_id],
        )
        assert cursor.fetchone() == ("", "", "", "", "", "")
        cursor.execute(
            "SELECT raw, sender_index FROM channels_intake_inbounditem WHERE ticket_id = %s", ticket_ids
        )
        assert set(cursor.fetchall()) == {("", "")}
        cursor.execute(
            "SELECT recipient FROM channels_intake_outboundmessage WHERE ticket_id = %s", ticket_ids
        )
        assert {row[0] for row in cursor.fetchall()} == {""}
        cursor.execute(
            "SELECT subject, description, desired_outcome FROM complaints_ticket WHERE id = %s", ticket_ids
        )
        assert cursor.fetchone() == ("[erased]", "[erased]", "")
        cursor.execute("SELECT DISTINCT body FROM complaints_message WHERE ticket_id = %s", ticket_ids)
        assert cursor.fetchall() == [("[erased]",)]
        cursor.execute(
            "SELECT comment FROM feedback_surveyanswer a JOIN feedback_survey s ON a.survey_id = s.id "
            "WHERE s.ticket_id = %s",
            ticket_ids,
        )
        assert cursor.fetchall() == [("",)]

    assert not selectors.customers_by_contact(EMAIL).exists()
    assert not selectors.customers_by_contact(PHONE).exists()
    assert not CustomerIdentity.objects.filter(customer_id=customer_id).exists()
    assert not Attachment.objects.filter(ticket_id=ticket.pk).exists()
    assert not default_storage.exists(stored_file)
    assert Ticket.objects.count() == tickets_before
    ticket.refresh_from_db()
    assert ticket.anonymised_at is not None and ticket.status == "closed" and ticket.resolutions.count() == 2
    assert Customer.objects.get(pk=customer_id).erased_at is not None
    # The other customer is untouched.
    other.refresh_from_db()
    assert other.subject == "快递丢失" and selectors.customers_by_contact("someone.else@example.com").exists()


def test_erasure_is_refused_while_a_ticket_is_open(supervisor):
    ticket = submit()
    with pytest.raises(ComplaintError, match=ticket.reference):
        privacy.erase_customer(actor=supervisor, customer_id=ticket.customer_id)
    assert selectors.customers_by_contact(EMAIL).exists()


def test_erase_page_confirms_then_erases_for_supervisors_only(client, supervisor, team):
    ticket = submit()
    resolve_and_close(ticket)
    url = reverse("admin:complaints_customer_erase", args=[ticket.customer_id])

    agent = AgentFactory(team=team, is_staff=True)
    client.force_login(agent)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403

    client.force_login(supervisor)
    confirm = client.get(url).content.decode()
    assert "cannot be undone" in confirm and 'name="csrfmiddlewaretoken"' in confirm
    response = client.post(url, follow=True)
    assert "personal data was erased" in response.content.decode()
    assert Customer.objects.get(pk=ticket.customer_id).erased_at is not None
    assert not selectors.customers_by_contact(EMAIL).exists()


def test_erase_page_reports_open_tickets_instead_of_erasing(client, supervisor):
    ticket = submit()
    client.force_login(supervisor)
    url = reverse("admin:complaints_customer_erase", args=[ticket.customer_id])
    assert "open ticket" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert ticket.reference in response.content.decode()
    assert Customer.objects.get(pk=ticket.customer_id).erased_at is None


# --- retention ------------------------------------------------------------------------------


@pytest.fixture
def retention():
    policy = RetentionPolicy.current()
    policy.enabled = True
    policy.closed_ticket_days = 365
    policy.save()
    return policy


def test_retention_anonymises_only_old_closed_tickets_and_is_idempotent(retention):
    old = submit("old")
    recent = TicketFactory(customer=old.customer, subject="快递丢失")  # same customer, closed last month
    still_open = TicketFactory(subject="仍在处理", closed_at=timezone.now() - timedelta(days=900))
    close(old, days_ago=400)
    close(recent, days_ago=30)

    outcome = privacy.apply_retention()

    assert outcome == privacy.RetentionOutcome(tickets_anonymised=1, customers_erased=0)
    old.refresh_from_db()
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert old.anonymised_at is not None and old.subject == "[erased]"
    assert recent.anonymised_at is None and recent.subject == "快递丢失"
    assert still_open.anonymised_at is None and still_open.subject == "仍在处理"
    # The customer still has a ticket with personal data, so they are kept.
    assert selectors.customers_by_contact(EMAIL).exists()
    stamp = old.anonymised_at
    assert privacy.apply_retention() == privacy.RetentionOutcome()
    old.refresh_from_db()
    assert old.anonymised_at == stamp


def test_retention_erases_customers_left_without_personal_data(retention):
    ticket = submit()
    close(ticket, days_ago=400)
    assert privacy.apply_retention() == privacy.RetentionOutcome(tickets_anonymised=1, customers_erased=1)
    assert not selectors.customers_by_contact(EMAIL).exists()
    assert Customer.objects.get(pk=ticket.customer_id).erased_at is not None


def test_retention_does_nothing_while_disabled():
    ticket = submit()
    close(ticket, days_ago=4000)
    assert privacy.apply_retention() == privacy.RetentionOutcome()
    ticket.refresh_from_db()
    assert ticket.anonymised_at is None


def test_retention_command_works_through_every_batch(retention):
    tickets = [submit(f"s-{n}", email=f"c{n}@example.com", phone=f"1370000000{n}") for n in range(5)]
    for ticket in tickets:
        close(ticket, days_ago=800)
    out = io.StringIO()
    call_command("apply_retention", "--batch-size", "2", stdout=out)
    assert "Anonymised 5 closed tickets" in out.getvalue() and "erased 5 customers" in out.getvalue()
    assert Ticket.objects.filter(anonymised_at__isnull=True).count() == 0


def test_retention_task_is_on_the_daily_beat(settings):
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "complaints.tasks.apply_retention"
    )
    assert entry["schedule"] == 24 * 3600


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retention_skips_a_ticket_another_transaction_holds(retention):
    held = TicketFactory(subject="held")
    free = TicketFactory(subject="free")
    for ticket in (held, free):
        close(ticket, days_ago=800)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        outcome = privacy.apply_retention()
    finally:
        release.set()
        holder.join(10)

    assert outcome.tickets_anonymised == 1
    assert Ticket.objects.get(pk=free.pk).anonymised_at is not None
    assert Ticket.objects.get(pk=held.pk).anonymised_at is None
    # The next run picks up what was skipped.
    assert privacy.apply_retention().tickets_anonymised == 1
    assert Ticket.objects.get(pk=held.pk).anonymised_at is not None
