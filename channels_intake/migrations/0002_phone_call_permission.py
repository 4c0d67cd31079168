from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    """Agents and supervisors log phone calls; supervisors also see and reprocess inbound items."""
    app_config = apps.get_app_config("channels_intake")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="channels_intake")
    agents, _ = Group.objects.get_or_create(name="Agents")
    agents.permissions.add(*ours.filter(codename="log_phone_call"))
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *ours.filter(
            codename__in=[
                "log_phone_call",
                "view_inbounditem",
                "change_inbounditem",
                "view_outboundmessage",
                "change_outboundmessage",
                "view_mailbox",
                "view_customeridentity",
            ]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("channels_intake", "0001_initial"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
