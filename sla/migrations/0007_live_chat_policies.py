"""Live chat answers in seconds: a policy per kind for the chat channel, first response within 60 s
around the clock (the engine counts whole minutes: 1), the rest as the kind's own default policy."""

from django.db import migrations

FIRST_RESPONSE_MINUTES = 1  # 60 seconds


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    always = BusinessCalendar.objects.filter(slug="24x7").first()
    if always is None:
        return
    for kind, label in [
        ("inquiry", "咨询 inquiry"),
        ("complaint", "投诉 complaint"),
        ("suggestion", "建议 suggestion"),
    ]:
        base = (
            SlaPolicy.objects.filter(match_kind=kind, match_channel="", is_active=True)
            .order_by("position", "pk")
            .first()
        )
        SlaPolicy.objects.get_or_create(
            name=f"Live chat 在线客服 ({label}): first response within 60 s",
            defaults={
                "position": 5,
                "match_kind": kind,
                "match_channel": "chat",
                "calendar": base.calendar if base else always,
                "first_response_minutes": FIRST_RESPONSE_MINUTES,
                "first_response_calendar": always,
                "first_response_stops_on": "reply",
                "resolution_minutes": base.resolution_minutes if base else 24 * 60,
                "warning_thresholds": "50,80",
                "notify_supervisors": base.notify_supervisors if base else False,
                "raise_escalation": base.raise_escalation if base else False,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("sla", "SlaPolicy").objects.filter(match_channel="chat", position=5).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0006_calendar_day_names"), ("complaints", "0016_ticket_channel_chat")]

    operations = [migrations.RunPython(seed, unseed)]
