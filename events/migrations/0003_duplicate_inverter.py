"""Event 402: the duplicate-inverter check (field/duplicates.py) found a configuration error.

Told to the administrators by e-mail when raised; not by SMS, and not when it clears.
"""

from django.db import migrations

CODE = 402


def seed(apps, schema_editor):
    apps.get_model("events", "EventType").objects.update_or_create(
        code=CODE,
        defaults=dict(
            name_ko="인버터 중복",
            name_en="Duplicate inverter",
            severity="warning",
            by_email=True,
            by_sms=False,
            by_webhook=True,
            notify_on_raise=True,
            notify_on_clear=False,
        ),
    )


def unseed(apps, schema_editor):
    apps.get_model("events", "EventType").objects.filter(code=CODE).delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0002_event_types")]

    operations = [migrations.RunPython(seed, unseed)]
