"""Evidence on shared object storage (issue 23): with a bucket configured the S3 backend of
django-storages stores every upload, and the desk and the customer page stream it back from there."""

import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_intake.models import InboundFile
from channels_intake.tokens import ticket_token
from complaints.models import Attachment, Ticket
from tests.channels_intake.test_web_form import PNG, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket(object_store, settings):
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    object_store.client().create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": object_store.endpoint_url,
                "access_key": object_store.access_key,
                "secret_key": object_store.secret_key,
                "region_name": object_store.region,
                "file_overwrite": False,
            },
        },
    }
    # Nothing may land on the file system while the bucket is the storage.
    settings.MEDIA_ROOT = "/nonexistent-media-root"
    return name


def keys(object_store, bucket: str) -> set[str]:
    listed = object_store.client().list_objects_v2(Bucket=bucket)
    return {entry["Key"] for entry in listed.get("Contents", [])}


def test_the_file_system_is_the_default_storage():
    from django.conf import settings

    assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_settings_take_the_bucket_from_the_environment(monkeypatch):
    import importlib

    import config.settings

    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "desk-evidence")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://10.0.0.5:9000")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    try:
        reloaded = importlib.reload(config.settings)
        default = reloaded.STORAGES["default"]
        assert default["BACKEND"] == "storages.backends.s3.S3Storage"
        assert default["OPTIONS"]["bucket_name"] == "desk-evidence"
        assert default["OPTIONS"]["endpoint_url"] == "http://10.0.0.5:9000"
        assert default["OPTIONS"]["access_key"] == "key"
    finally:
        monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME")
        importlib.reload(config.settings)


def test_web_form_upload_lands_in_the_bucket_and_the_desk_and_customer_stream_it(
    client, supervisor, object_store, bucket, django_capture_on_commit_callbacks
):
    assert default_storage.__class__.__name__ == "S3Storage"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/submit/", form_data(files=[SimpleUploadedFile("photo.png", PNG)]))
    assert response.status_code == 302

    ticket = Ticket.objects.get()
    item = Attachment.objects.get(ticket=ticket)
    assert item.file.name.startswith("attachments/")
    # The attachment is the only object left: the intake's kept copy was deleted from the bucket.
    assert keys(object_store, bucket) == {item.file.name}
    assert not InboundFile.objects.exists()
    stored = object_store.client().get_object(Bucket=bucket, Key=item.file.name)["Body"].read()
    assert stored == PNG

    client.force_login(supervisor)
    desk = client.get(reverse("desk:attachment", args=[item.pk]) + "?download=1")
    assert desk.status_code == 200
    assert b"".join(desk.streaming_content) == PNG
    assert desk["Content-Disposition"].startswith("attachment;")
    assert desk["Cache-Control"] == "private, no-store"
    client.logout()

    public = client.get(reverse("public:ticket_attachment", args=[ticket_token(ticket), item.pk]))
    assert public.status_code == 200
    assert b"".join(public.streaming_content) == PNG


def test_an_object_missing_from_the_bucket_is_a_404_not_a_500(client, supervisor, object_store, bucket):
    client.post("/submit/", form_data(files=[SimpleUploadedFile("photo.png", PNG)]))
    item = Attachment.objects.get()
    object_store.client().delete_object(Bucket=bucket, Key=item.file.name)
    client.force_login(supervisor)
    assert client.get(reverse("desk:attachment", args=[item.pk])).status_code == 404
