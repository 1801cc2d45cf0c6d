"""Who sees each item, kept on it (Item.access_keys, infohub.access `keys`): minus its source unit's id and its joint
units' once filed, here, and the offices it reached, added by the apps whose rows make it reach them (reviews 0004,
alerts 0010, topics 0003). The access rule reads the keys instead of joining the joint units, hops, clocks and topic
answers.

The search index is dropped here and built again by 0012 with the keys beside the words, once the column is full: a
million rows updated with a GIN index of ~700 keys a row in place would cost far more than building the index once.
Batches of 50,000 items by id, each its own transaction (the migration is not atomic).
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

BATCH = 50000


# Minus the source unit's id, and minus each joint unit's (合报) once the item is filed.
UNIT_KEYS = """
UPDATE submissions_item AS i SET access_keys = ARRAY(
    SELECT DISTINCT k FROM (SELECT -i.source_unit_id AS k
                            UNION ALL SELECT -j.unit_id FROM submissions_item_joint_units AS j
                            WHERE j.item_id = i.id AND i.submitted_at IS NOT NULL) AS keys ORDER BY k)
WHERE i.id >= %s AND i.id < %s
"""


def unit_keys(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM submissions_item")
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(UNIT_KEYS, [start, start + BATCH])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("submissions", "0010_item_joint_units"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                "DROP INDEX IF EXISTS item_search_document",
                "CREATE INDEX IF NOT EXISTS item_search_document ON submissions_item USING gin (search_document)")],
            state_operations=[migrations.RemoveIndex(
                model_name="item",
                name="item_search_document",
            )],
        ),
        migrations.AddField(
            model_name="item",
            name="access_keys",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), blank=True, default=list, editable=False, size=None,
                db_default=models.Value([], django.contrib.postgres.fields.ArrayField(
                    base_field=models.BigIntegerField(), size=None))),
        ),
        migrations.RunPython(unit_keys, migrations.RunPython.noop, elidable=True),
    ]
