from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR_PERMISSIONS = [
    "view_approvalrule", "add_approvalrule", "change_approvalrule", "delete_approvalrule",
    "view_fulfilmentterm", "add_fulfilmentterm", "change_fulfilmentterm",
    "view_remedy", "change_remedy", "view_fulfilment", "change_fulfilment",
]
# Finance records fulfilment done (the console's bulk action, or an integration through the API).
FINANCE_PERMISSIONS = ["view_remedy", "view_fulfilment", "change_fulfilment"]


def grant(apps, schema_editor):
    """Supervisors keep the approval rules and terms and decide remedies; Finance records fulfilment."""
    app_config = apps.get_app_config("remedies")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Supervisors", SUPERVISOR_PERMISSIONS), ("Finance", FINANCE_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="remedies", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("remedies", "0002_fulfilment_terms"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
