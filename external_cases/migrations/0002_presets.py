"""Preset external sources, escalation-risk keywords and who may use them (all editable in the admin).

Deadlines as the sources state them: 12315 ODR enterprises negotiate within 10 working days;
黑猫投诉 shows a merchant as unresponsive after 48 hours. The others are common defaults a
supervisor adjusts to the letter of each forwarded case.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def field(key, zh, en, *, required=True, kind="text", choices=None):
    definition = {"key": key, "label_zh": zh, "label_en": en, "required": required, "kind": kind}
    if choices:
        definition["choices"] = [{"value": v, "label_zh": z, "label_en": e} for v, z, e in choices]
    return definition


CONTACT_CHOICES = [
    ("phone", "电话", "Phone"),
    ("online", "在线", "Online"),
    ("on_site", "现场", "On site"),
    ("written", "书面", "In writing"),
]
SATISFIED_CHOICES = [
    ("satisfied", "满意", "Satisfied"),
    ("unsatisfied", "不满意", "Not satisfied"),
    ("unreached", "未联系上", "Could not be reached"),
]

SOURCES = [
    {
        "slug": "miit-appeal",
        "kind": "miit",
        "name_zh": "工信部申诉",
        "name_en": "MIIT telecom appeal",
        "deadline_amount": 5,
        "deadline_unit": "working_days",
        "calendar": "china-office-hours",
        "priority": 1,
        "position": 10,
        "report_fields": [
            field("contacted_at", "联系用户时间", "Customer contacted at", kind="datetime"),
            field("process", "处理经过", "How it was handled", kind="textarea"),
            field("result", "处理结果", "Result", kind="textarea"),
            field("satisfaction", "用户是否满意", "Customer satisfied", kind="choice", choices=SATISFIED_CHOICES),
        ],
    },
    {
        "slug": "12315-odr",
        "kind": "12315",
        "name_zh": "12315 在线纠纷解决（ODR）",
        "name_en": "12315 online dispute resolution (ODR)",
        "deadline_amount": 10,
        "deadline_unit": "working_days",
        "calendar": "china-office-hours",
        "priority": 2,
        "position": 20,
        "report_fields": [
            field("handled_at", "处理时间", "Handling time", kind="datetime"),
            field("process", "协商过程", "Negotiation process", kind="textarea"),
            field("method", "协商方式", "Negotiation method", kind="choice", choices=CONTACT_CHOICES),
            field(
                "result",
                "协商结果",
                "Negotiation result",
                kind="choice",
                choices=[
                    ("agreed", "达成和解", "Settlement reached"),
                    ("not_agreed", "未达成和解", "No settlement"),
                    ("unreached", "无法联系消费者", "Consumer could not be reached"),
                ],
            ),
        ],
    },
    {
        "slug": "12345-hotline",
        "kind": "12345",
        "name_zh": "12345 政务服务热线",
        "name_en": "12345 city hotline",
        "deadline_amount": 5,
        "deadline_unit": "working_days",
        "calendar": "china-office-hours",
        "priority": 2,
        "position": 30,
        "report_fields": [
            field("contact", "联系市民情况", "Contact with the citizen"),
            field("result", "办理结果", "Result", kind="textarea"),
            field("completed_at", "办结时间", "Completed at", kind="datetime"),
        ],
    },
    {
        "slug": "heimao",
        "kind": "platform",
        "name_zh": "黑猫投诉",
        "name_en": "Heimao (Black Cat) complaints",
        "deadline_amount": 48,
        "deadline_unit": "hours",
        "calendar": "24x7",
        "priority": 2,
        "position": 40,
        "report_fields": [
            field("reply", "商家回复", "Merchant's public reply", kind="textarea"),
            field("solution", "处理方案", "Solution offered", required=False),
        ],
    },
    {
        "slug": "media",
        "kind": "media",
        "name_zh": "媒体",
        "name_en": "Media",
        "deadline_amount": 24,
        "deadline_unit": "hours",
        "calendar": "24x7",
        "priority": 1,
        "position": 50,
        "report_fields": [
            field("statement", "回应口径", "Statement given", kind="textarea"),
            field("spokesperson", "对接人", "Spokesperson"),
        ],
    },
    {
        "slug": "legal-letter",
        "kind": "legal",
        "name_zh": "法院 / 律师函",
        "name_en": "Court or lawyer's letter",
        "deadline_amount": 7,
        "deadline_unit": "calendar_days",
        "calendar": "24x7",
        "priority": 1,
        "position": 60,
        "report_fields": [
            field("owner", "法务负责人", "Legal owner"),
            field("reply", "回复要点", "Reply summary", kind="textarea"),
        ],
    },
    {
        "slug": "other",
        "kind": "other",
        "name_zh": "其他",
        "name_en": "Other",
        "deadline_amount": 5,
        "deadline_unit": "working_days",
        "calendar": "china-office-hours",
        "priority": None,
        "position": 90,
        "report_fields": [field("result", "处理结果", "Result", kind="textarea")],
    },
]

KEYWORDS = {
    "zh": [
        "工信部", "工业和信息化部", "12300", "12315", "12345", "消协", "消费者协会", "市场监管", "媒体",
        "记者", "曝光", "黑猫投诉", "律师", "起诉", "法院", "报警",
    ],
    "en": [
        "regulator", "MIIT", "consumer association", "media", "journalist", "press", "newspaper",
        "go public", "expose", "lawyer", "solicitor", "sue", "court", "legal action",
    ],
}

AGENT_PERMISSIONS = ["view_externalsource", "view_externalcase", "add_externalcase", "add_reportback"]
SUPERVISOR_PERMISSIONS = [
    *AGENT_PERMISSIONS,
    "add_externalsource", "change_externalsource", "delete_externalsource", "change_externalcase",
    "view_reportback", "view_riskkeyword", "add_riskkeyword", "change_riskkeyword", "delete_riskkeyword",
    "view_escalationrisk",
]


def seed(apps, schema_editor):
    ExternalSource = apps.get_model("external_cases", "ExternalSource")
    RiskKeyword = apps.get_model("external_cases", "RiskKeyword")
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    calendars = {c.slug: c for c in BusinessCalendar.objects.all()}
    for preset in SOURCES:
        values = {**preset, "calendar": calendars.get(preset["calendar"])}
        slug = values.pop("slug")
        ExternalSource.objects.get_or_create(slug=slug, defaults=values)
    for language, words in KEYWORDS.items():
        for word in words:
            RiskKeyword.objects.get_or_create(language=language, text=word)

    app_config = apps.get_app_config("external_cases")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Agents", AGENT_PERMISSIONS), ("Supervisors", SUPERVISOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="external_cases", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("external_cases", "0001_initial"),
        ("sla", "0002_default_calendars_and_policies"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
