"""Drafts save incomplete (issue 13, point 10): title, body, category and contact phone may be blank until filing,
and the check that an emergency carries its event time and report kind holds for filed items only."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0006_item_outcome"),
    ]

    operations = [
        migrations.AlterField(
            model_name="item", name="title", field=models.CharField(blank=True, max_length=120, verbose_name="title"),
        ),
        migrations.AlterField(
            model_name="item", name="body", field=models.TextField(blank=True, verbose_name="body"),
        ),
        migrations.AlterField(
            model_name="item", name="category",
            field=models.CharField(
                blank=True, choices=[('work_progress', 'Work progress'), ('experience', 'Experience and practice'), ('problem', 'Problems and suggestions'), ('public_opinion', 'Public opinion'), ('early_warning', 'Early warnings and trends'), ('policy', 'Policy implementation'), ('emergency', 'Emergency')], max_length=20,
                                   verbose_name="category"),
        ),
        migrations.AlterField(
            model_name="item", name="contact_phone",
            field=models.CharField(blank=True, max_length=30, verbose_name="contact phone"),
        ),
        migrations.RemoveConstraint(model_name="item", name="emergency_has_event_time_and_kind"),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("category", "emergency"), _negated=True),
                    ("submitted_at__isnull", True),
                    models.Q(("event_time__isnull", False), models.Q(("report_kind", ""), _negated=True)),
                    _connector="OR",
                ),
                name="emergency_has_event_time_and_kind",
            ),
        ),
    ]
