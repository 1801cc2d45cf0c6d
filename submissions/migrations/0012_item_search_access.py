"""The search words and the access keys in one GIN index, and the item list's default order (see 0011). The column
statistics of both sample ten times more (1,000) than the default: a piece of text in several percent of the items
was estimated in a few hundred rows, and the planner then read every match in the table to apply the access rule
instead of asking the index for both."""

import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("submissions", "0011_item_access_keys"),
        ("reviews", "0004_item_access_keys"),
        ("alerts", "0010_item_access_keys"),
        ("topics", "0003_item_access_keys"),
    ]

    operations = [
        migrations.RunSQL("SET maintenance_work_mem = '256MB'", migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="item",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_document", "access_keys"],
                                                           name="item_search_access"),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["-updated_at", "-id"], name="item_recent"),
        ),
        migrations.RunSQL("RESET maintenance_work_mem", migrations.RunSQL.noop),
        migrations.RunSQL(
            "ALTER TABLE submissions_item ALTER COLUMN search_document SET STATISTICS 1000,"
            " ALTER COLUMN access_keys SET STATISTICS 1000",
            "ALTER TABLE submissions_item ALTER COLUMN search_document SET STATISTICS -1,"
            " ALTER COLUMN access_keys SET STATISTICS -1"),
        migrations.RunSQL("ANALYZE submissions_item", migrations.RunSQL.noop),
    ]
