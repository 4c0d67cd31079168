from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR_PERMISSIONS = [
    "add_mailbox", "change_mailbox", "delete_mailbox",
    "view_wechataccount", "add_wechataccount", "change_wechataccount", "delete_wechataccount",
    "view_webhookchannel", "add_webhookchannel", "change_webhookchannel", "delete_webhookchannel",
]


def grant(apps, schema_editor):
    """Supervisors configure mailboxes, WeChat accounts and webhook channels (view_mailbox came in 0002)."""
    app_config = apps.get_app_config("channels_intake")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *Permission.objects.filter(content_type__app_label="channels_intake", codename__in=SUPERVISOR_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("channels_intake", "0003_mailbox_default_team"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
