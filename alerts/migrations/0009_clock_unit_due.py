from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """The on-time rate of a unit's emergency reports (assessment.selectors.on_time_by_month) reads its clocks by unit
    and due time. Built concurrently: the clocks are written by every emergency filed, and a plain CREATE INDEX would
    hold their writes for as long as it takes on a national table."""

    atomic = False

    dependencies = [
        ('alerts', '0008_field_labels'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='clock',
            index=models.Index(fields=['unit', 'due_at'], name='clock_unit_due'),
        ),
    ]
