"""The Inspectors group (质检员), the Supervisors' quality permissions and a standard scorecard to start from."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

INSPECTOR_PERMISSIONS = [
    "inspect_review", "view_review", "view_reviewscore", "view_scorecard", "view_criterion", "view_samplingrun",
]
SUPERVISOR_PERMISSIONS = [
    *INSPECTOR_PERMISSIONS,
    "decide_appeal",
    "add_scorecard", "change_scorecard", "delete_scorecard",
    "add_criterion", "change_criterion", "delete_criterion",
    "view_qualitysettings", "change_qualitysettings",
    "view_correctiveaction", "add_correctiveaction", "change_correctiveaction",
    "view_transparencysettings", "change_transparencysettings", "view_transparencysnapshot",
    "view_reviewpackdelivery",
]
# (position, zh, en, weight, scale, max points, critical)
CRITERIA = [
    (1, "问候与礼貌", "Greeting and courtesy", 1, "points", 5, False),
    (2, "准确理解问题", "Understanding the problem", 2, "points", 5, False),
    (3, "信息正确", "Correct information", 2, "yes_no", 1, True),
    (4, "分类正确", "Correct classification", 1, "yes_no", 1, False),
    (5, "解决质量", "Resolution quality", 3, "points", 5, False),
    (6, "兑现承诺", "Promises kept", 2, "points", 5, False),
    (7, "保护隐私", "Privacy respected", 2, "yes_no", 1, True),
]


def load(apps, schema_editor):
    app_config = apps.get_app_config("quality")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    inspectors, _ = Group.objects.get_or_create(name="Inspectors")
    inspectors.permissions.add(
        *Permission.objects.filter(content_type__app_label="quality", codename__in=INSPECTOR_PERMISSIONS),
        *Permission.objects.filter(content_type__app_label="complaints", codename__in=["view_ticket", "view_category"]),
    )
    supervisors, _ = Group.objects.get_or_create(name="Supervisors")
    supervisors.permissions.add(
        *Permission.objects.filter(content_type__app_label="quality", codename__in=SUPERVISOR_PERMISSIONS)
    )
    Scorecard = apps.get_model("quality", "Scorecard")
    Criterion = apps.get_model("quality", "Criterion")
    card = Scorecard.objects.create(name_zh="通用质检评分表", name_en="Standard scorecard", pass_mark=80)
    for position, zh, en, weight, scale, points, critical in CRITERIA:
        Criterion.objects.create(
            scorecard=card, position=position, name_zh=zh, name_en=en, weight=weight, scale=scale,
            max_points=points, is_critical=critical,
        )


def unload(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Inspectors").delete()
    apps.get_model("quality", "Scorecard").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0001_initial"),
        ("complaints", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, unload)]
