"""The offices items reached through the deadline clocks waiting for them, added to Item.access_keys
(submissions 0011): from then on infohub.access keeps the keys on every write of a clock. Batches of 50,000 items
by id, each its own transaction (the migration is not atomic); running it again changes nothing."""

from django.db import migrations

BATCH = 50000

RANGE = "SELECT min(item_id), max(item_id) FROM alerts_clock WHERE item_id IS NOT NULL"

# The offices found are merged with those already there (another app's), each once, ascending.
KEEP = """
UPDATE submissions_item AS i
SET access_keys = ARRAY(SELECT DISTINCT o FROM unnest(i.access_keys || r.offices) AS o ORDER BY o)
FROM (SELECT item_id, array_agg(DISTINCT office_id) AS offices FROM alerts_clock
      WHERE item_id IS NOT NULL AND item_id >= %s AND item_id < %s GROUP BY item_id) AS r
WHERE i.id = r.item_id AND NOT i.access_keys @> r.offices
"""


def keep(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(RANGE)
        low, high = cursor.fetchone()
        if low is None:
            return
        for start in range(low, high + 1, BATCH):
            cursor.execute(KEEP, [start, start + BATCH])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("alerts", "0009_clock_unit_due"),
        ("submissions", "0011_item_access_keys"),
    ]

    operations = [
        migrations.RunPython(keep, migrations.RunPython.noop, elidable=True),
    ]
