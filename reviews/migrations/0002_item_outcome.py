"""Where each item filed before stands along the review chain (Item.outcome…): the same as
reviews.selectors.outcome_of, in one statement over every item that made a hop."""

from django.db import migrations

# For each item: its furthest hop (received last), that hop's lineage through previous_id (the trail, lowest level
# first), and the highest level that adopted it over all its hops.
OUTCOMES = """
WITH RECURSIVE latest AS (
    SELECT DISTINCT ON (item_id) item_id, id FROM reviews_hop ORDER BY item_id, received_at DESC, id DESC
), line AS (
    SELECT l.item_id, h.id, h.previous_id, 0 AS depth FROM latest l JOIN reviews_hop h ON h.id = l.id
    UNION ALL
    SELECT line.item_id, h.id, h.previous_id, line.depth + 1 FROM line JOIN reviews_hop h ON h.id = line.previous_id
), trail AS (
    SELECT line.item_id, string_agg(h.level || ':' || CASE
            WHEN h.status = 'received' THEN 'in_review'
            WHEN h.status = 'adopted' AND h.forward = 'awaiting_signoff' THEN 'forwarding'
            ELSE h.status END, ' ' ORDER BY line.depth DESC) AS steps
    FROM line JOIN reviews_hop h ON h.id = line.id GROUP BY line.item_id
), adopted AS (
    SELECT item_id, (array_agg(level ORDER BY CASE level WHEN 'central' THEN 0 WHEN 'province' THEN 1
                                                       WHEN 'city' THEN 2 WHEN 'county' THEN 3 ELSE 4 END))[1] AS level
    FROM reviews_hop WHERE status = 'adopted' GROUP BY item_id
)
UPDATE submissions_item i SET
    outcome = CASE h.status WHEN 'received' THEN 'in_review' ELSE h.status END,
    adopted_level = COALESCE(a.level, ''),
    outcome_trail = left(t.steps, 120),
    outcome_reason = CASE WHEN h.status IN ('not_adopted', 'returned') THEN h.reason ELSE '' END,
    outcome_composite_id = CASE WHEN h.status = 'merged' THEN h.composite_id END
FROM latest l
JOIN reviews_hop h ON h.id = l.id
JOIN trail t ON t.item_id = l.item_id
LEFT JOIN adopted a ON a.item_id = l.item_id
WHERE i.id = l.item_id
"""


def compute_outcomes(apps, schema_editor):
    connection = schema_editor.connection if schema_editor else None
    if connection is None:
        from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute(OUTCOMES)


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0001_initial"),
        ("submissions", "0006_item_outcome"),
    ]

    operations = [
        migrations.RunPython(compute_outcomes, migrations.RunPython.noop, elidable=True),
    ]
