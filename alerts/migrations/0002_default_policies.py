"""The default deadlines of SPEC §5: city 2 h, province 5 h, centre 6 h from the event; editable in admin."""

from django.db import migrations

DEFAULTS = {"city": 120, "province": 300, "central": 360}


def add_defaults(apps, schema_editor):
    Policy = apps.get_model("alerts", "DeadlinePolicy")
    for level, minutes in DEFAULTS.items():
        Policy.objects.get_or_create(level=level, event_grade="", event_type="", defaults={"deadline_minutes": minutes})


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
