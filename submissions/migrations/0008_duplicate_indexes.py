"""Likely duplicates (issue 13, point 9) look for items of one category filed, or emergencies that happened, within
a window: an index for each."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0007_drafts_save_incomplete"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["category", "submitted_at"], name="item_category_filed"),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(condition=models.Q(("category", "emergency")), fields=["event_time"],
                               name="item_emergency_event"),
        ),
    ]
