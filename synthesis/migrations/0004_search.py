"""A GIN index for the full-text search of statements and quotes, on
PostgreSQL only (see atelier/search.py and atelier 0004_search, which creates
the `french_unaccent` configuration). Nothing happens on SQLite.

Placed after 0004_followup (the other 0004) so the migration graph keeps one leaf.
"""

from django.db import migrations

CREATE_INDEX = """
CREATE INDEX IF NOT EXISTS synthesis_statement_text_fts ON synthesis_statement
USING gin (to_tsvector('french_unaccent'::regconfig, text))
"""
DROP_INDEX = "DROP INDEX IF EXISTS synthesis_statement_text_fts"


def on_postgresql(sql):
    """A RunPython step that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("atelier", "0004_search"),
        ("synthesis", "0004_followup"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE_INDEX), on_postgresql(DROP_INDEX)),
    ]
