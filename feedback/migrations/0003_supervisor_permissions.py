from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR_PERMISSIONS = [
    "view_surveypolicy", "add_surveypolicy", "change_surveypolicy", "delete_surveypolicy",
    "view_surveyreason", "add_surveyreason", "change_surveyreason", "delete_surveyreason",
    "view_survey", "view_surveyanswer", "view_returnvisit", "change_returnvisit",
]


def grant(apps, schema_editor):
    """Supervisors set survey policies and reasons, read surveys and complete return visits."""
    app_config = apps.get_app_config("feedback")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *Permission.objects.filter(content_type__app_label="feedback", codename__in=SUPERVISOR_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_default_policy_and_reasons"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
