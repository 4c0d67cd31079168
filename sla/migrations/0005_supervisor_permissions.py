from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR_PERMISSIONS = [
    "view_businesscalendar", "add_businesscalendar", "change_businesscalendar", "delete_businesscalendar",
    "view_workinginterval", "add_workinginterval", "change_workinginterval", "delete_workinginterval",
    "view_calendarday", "add_calendarday", "change_calendarday", "delete_calendarday",
    "view_slapolicy", "add_slapolicy", "change_slapolicy", "delete_slapolicy",
    "view_slaclock", "view_slaalert",
]


def grant(apps, schema_editor):
    """Supervisors configure calendars and SLA policies in the console and look at the clocks."""
    app_config = apps.get_app_config("sla")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *Permission.objects.filter(content_type__app_label="sla", codename__in=SUPERVISOR_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0004_percent_wording"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
