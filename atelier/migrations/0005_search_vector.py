"""A stored tsvector of each note, for a fast full-text search on PostgreSQL
(see atelier/search.py); nothing on SQLite.

With only an expression index (0004_search), the match was an index scan but
`ts_rank` recomputed `to_tsvector` on every matching row: ~0.7 s for a word in
12,000 of 100,000 notes. PostgreSQL now keeps the vector in a generated column,
`search_vector` (recomputed whenever a note's text changes), with a GIN index on
it; the expression index goes.

The column is not a model field, on purpose: Django would select it with every
note (the editor loads 10,000 of them) for nothing; only atelier.search reads
it (`StoredVector`). A future change of the `text` column's type must drop and
re-add the column (PostgreSQL refuses to alter a column a generated one uses).
Adding the column rewrites the table under an exclusive lock: a few seconds for
100,000 notes.
"""

from django.db import migrations

ADD_COLUMN = """
ALTER TABLE atelier_contribution ADD COLUMN IF NOT EXISTS search_vector tsvector
GENERATED ALWAYS AS (to_tsvector('french_unaccent'::regconfig, text)) STORED;
CREATE INDEX IF NOT EXISTS atelier_contribution_search_vector ON atelier_contribution
USING gin (search_vector);
DROP INDEX IF EXISTS atelier_contribution_text_fts;
-- The planner's statistics on the new column, at once.
ANALYZE atelier_contribution;
"""
DROP_COLUMN = """
CREATE INDEX IF NOT EXISTS atelier_contribution_text_fts ON atelier_contribution
USING gin (to_tsvector('french_unaccent'::regconfig, text));
ALTER TABLE atelier_contribution DROP COLUMN IF EXISTS search_vector;
"""


def on_postgresql(sql):
    """A RunPython step that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("atelier", "0004_search"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(ADD_COLUMN), on_postgresql(DROP_COLUMN)),
    ]
