"""Search finds every word that is in the text (SPEC §3): recompute every item's search_document as character
bigrams and trigrams beside jieba's words (submissions.models.search_document_text).

Rows are read and written in batches by id, each batch in its own short transaction (the migration is not atomic:
one transaction over a million rows would hold every row's lock until the end). The vectors of the next batches are
computed by worker processes, one per core, while this process writes the last ones; the GIN index is dropped
first and built once at the end, several times faster than updating it row by row. Running it again recomputes the
same vectors. Measured on 1,000,000 items: see README ("Search").
"""

import multiprocessing
import os
from collections import deque

from django.db import migrations

BATCH = 2000


def bigram_documents(rows):
    # The model module's pure function of three strings: this migration stores what save() stores.
    from submissions.models import search_document_text

    return [search_document_text(title, keywords, body) for _id, title, keywords, body in rows], [""] * len(rows)


def word_documents(rows):
    """0003's vectors: jieba's search-mode words, title and keywords A, body B."""
    import jieba

    def words(text):
        return " ".join(w for w in jieba.cut_for_search(text or "") if w.strip())

    return [words(f"{title} {keywords}") for _id, title, keywords, _body in rows], [words(r[3]) for r in rows]


class _Done:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


def _rewrite(schema_editor, documents, set_sql):
    """Every item's search_document, batch by batch: `documents(rows)` makes the two texts (v.a, v.b) that
    `set_sql` turns into a vector."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submissions_item")
        workers = min(os.cpu_count() or 1, cursor.fetchone()[0] // BATCH)
        # fork: the workers only compute, and leave this process's database connection alone.
        pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
        try:
            cursor.execute("DROP INDEX IF EXISTS item_search_document")
            pending, last, rows = deque(), 0, True
            while rows or pending:
                cursor.execute(
                    "SELECT id, title, keywords, body FROM submissions_item WHERE id > %s ORDER BY id LIMIT %s",
                    [last, BATCH],
                )
                rows = cursor.fetchall()
                if rows:
                    last = rows[-1][0]
                    done = pool.apply_async(documents, (rows,)) if pool else _Done(documents(rows))
                    pending.append(([row[0] for row in rows], done))
                while pending and (not rows or len(pending) > (workers if pool else 0)):
                    ids, done = pending.popleft()
                    firsts, seconds = done.get()
                    cursor.execute(
                        f"UPDATE submissions_item AS i SET search_document = {set_sql} "
                        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, a, b) WHERE i.id = v.id",
                        [ids, firsts, seconds],
                    )
        finally:
            if pool:
                pool.terminate()
                pool.join()
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("CREATE INDEX item_search_document ON submissions_item USING gin (search_document)")
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("ANALYZE submissions_item")


def bigrams(apps, schema_editor):
    _rewrite(schema_editor, bigram_documents, "v.a::tsvector")


def jieba_words(apps, schema_editor):
    _rewrite(schema_editor, word_documents,
             "setweight(to_tsvector('simple', v.a), 'A') || setweight(to_tsvector('simple', v.b), 'B')")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("submissions", "0004_event_type"),
    ]

    operations = [
        migrations.RunPython(bigrams, jieba_words, elidable=False),
    ]
