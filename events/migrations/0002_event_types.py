"""The event codes the product knows, editable in admin afterwards."""

from django.db import migrations

# code, Korean name, English name, severity, e-mail, SMS, notify on raise, notify on clear
EVENT_TYPES = [
    (101, "발전 시작", "Generation started", "info", True, False, False, False),
    (102, "발전 정지", "Generation stopped", "info", True, False, False, False),
    (201, "계통 정전", "Grid power outage", "critical", True, True, True, True),
    (202, "통신 이상", "Communication error", "warning", True, True, True, True),
    (203, "미발전", "Not generating", "warning", True, True, True, True),
    (204, "인버터 고장", "Inverter fault", "critical", True, True, True, True),
    (205, "스트링 저전류", "Weak string", "warning", True, False, True, True),
    (301, "수집기 중단", "Collector down", "warning", True, True, True, True),
    (401, "명령 완료", "Command completed", "info", False, True, True, False),
]


def seed(apps, schema_editor):
    EventType = apps.get_model("events", "EventType")
    for code, ko, en, severity, email, sms, on_raise, on_clear in EVENT_TYPES:
        EventType.objects.update_or_create(
            code=code,
            defaults=dict(
                name_ko=ko,
                name_en=en,
                severity=severity,
                by_email=email,
                by_sms=sms,
                notify_on_raise=on_raise,
                notify_on_clear=on_clear,
            ),
        )


def unseed(apps, schema_editor):
    apps.get_model("events", "EventType").objects.filter(
        code__in=[row[0] for row in EVENT_TYPES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
