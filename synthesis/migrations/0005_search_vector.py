"""A stored tsvector of each statement, as atelier 0005_search_vector does for
the notes (see it for why a generated column and not a model field), on
PostgreSQL only. Nothing happens on SQLite.

Without it, listing the published statements that match recomputed
`to_tsvector` on each statement of the published syntheses (the planner walks
them by section) and again for `ts_rank`.
"""

from django.db import migrations

ADD_COLUMN = """
ALTER TABLE synthesis_statement ADD COLUMN IF NOT EXISTS search_vector tsvector
GENERATED ALWAYS AS (to_tsvector('french_unaccent'::regconfig, text)) STORED;
CREATE INDEX IF NOT EXISTS synthesis_statement_search_vector ON synthesis_statement
USING gin (search_vector);
DROP INDEX IF EXISTS synthesis_statement_text_fts;
-- The planner's statistics on the new column, at once.
ANALYZE synthesis_statement;
"""
DROP_COLUMN = """
CREATE INDEX IF NOT EXISTS synthesis_statement_text_fts ON synthesis_statement
USING gin (to_tsvector('french_unaccent'::regconfig, text));
ALTER TABLE synthesis_statement DROP COLUMN IF EXISTS search_vector;
"""


def on_postgresql(sql):
    """A RunPython step that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("synthesis", "0004_search"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(ADD_COLUMN), on_postgresql(DROP_COLUMN)),
    ]
