"""The readings and the late-data marks now belong to the telemetry app (telemetry/models.py).

State only: the tables keep their names and their rows; nothing is done to the database.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("generation", "0003_time_weighted_figures_and_flags"),
        ("telemetry", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CombinerReading"),
                migrations.DeleteModel(name="DirtyHour"),
                migrations.DeleteModel(name="GridReport"),
                migrations.DeleteModel(name="InverterReading"),
                migrations.DeleteModel(name="SensorReading"),
            ],
            database_operations=[],
        ),
    ]
