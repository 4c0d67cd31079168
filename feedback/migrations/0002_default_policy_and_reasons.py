from django.db import migrations

REASONS = [
    ("fast", "处理及时", "Handled quickly", 10),
    ("friendly", "服务态度好", "Friendly and helpful staff", 20),
    ("clear", "解释清楚", "Clear explanation", 30),
    ("slow", "处理太慢", "Took too long", 40),
    ("unfriendly", "服务态度差", "Unfriendly staff", 50),
    ("not-fixed", "问题没有真正解决", "The problem is not really fixed", 60),
    ("remedy-too-small", "补偿不合理", "The remedy is not enough", 70),
    ("too-many-contacts", "反复联系才处理", "Had to contact you many times", 80),
]


def create_defaults(apps, schema_editor):
    SurveyPolicy = apps.get_model("feedback", "SurveyPolicy")
    SurveyReason = apps.get_model("feedback", "SurveyReason")
    if not SurveyPolicy.objects.exists():
        SurveyPolicy.objects.create(name="Default", position=1000)
    for slug, zh, en, position in REASONS:
        SurveyReason.objects.get_or_create(
            slug=slug, defaults={"label_zh": zh, "label_en": en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
