"""Event 302: a collector whose share of refused items jumped (events/detection.py).

A site logger that sends garbage is a fault an operator wants to hear about: told by e-mail
when raised and when it clears, not by SMS.
"""

from django.db import migrations

CODE = 302


def seed(apps, schema_editor):
    apps.get_model("events", "EventType").objects.update_or_create(
        code=CODE,
        defaults=dict(
            name_ko="수집기 데이터 거부 급증",
            name_en="Collector data refused",
            severity="warning",
            by_email=True,
            by_sms=False,
            by_webhook=True,
            notify_on_raise=True,
            notify_on_clear=True,
        ),
    )


def unseed(apps, schema_editor):
    apps.get_model("events", "EventType").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0005_outbox_provider_ref_and_sms_outcome")]

    operations = [migrations.RunPython(seed, unseed)]
