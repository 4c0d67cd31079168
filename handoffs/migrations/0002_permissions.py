"""Agents may read partners and hand-offs; supervisors keep the partners (the console's configuration)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT_PERMISSIONS = ["view_partner", "view_handoff", "view_handoffmail"]
SUPERVISOR_PERMISSIONS = [*AGENT_PERMISSIONS, "add_partner", "change_partner", "delete_partner"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("handoffs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Agents", AGENT_PERMISSIONS), ("Supervisors", SUPERVISOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="handoffs", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("handoffs", "0001_partners_and_handoffs"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
