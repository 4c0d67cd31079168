"""The Integrations group: partner and in-app systems that open tickets through the API and read their own."""

from django.db import migrations

INTEGRATION_PERMISSIONS = [
    "add_ticket", "view_ticket", "add_message", "view_message", "view_category", "view_rootcause", "view_team",
]


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Integrations")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="complaints", codename__in=INTEGRATION_PERMISSIONS)
    )


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Integrations").delete()


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_api_idempotency_key")]

    operations = [migrations.RunPython(create_group, delete_group)]
