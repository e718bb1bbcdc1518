"""Full-text search on PostgreSQL (see atelier/search.py); nothing on SQLite.

- the `unaccent` extension (UnaccentExtension does nothing unless the
  connection's vendor is "postgresql"; unaccent is a trusted extension, so the
  database owner may create it without being a superuser);
- `french_unaccent`, the French configuration with unaccent before the stemmer;
- a GIN index on `to_tsvector('french_unaccent', text)` of the notes: the very
  expression atelier.search.FrenchVector writes, so queries use it.

No index in the models' Meta: the expression index lives here only, which keeps
`makemigrations --check` clean.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CREATE_CONFIG = """
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
        WHERE c.cfgname = 'french_unaccent' AND n.nspname = current_schema()
    ) THEN
        CREATE TEXT SEARCH CONFIGURATION french_unaccent ( COPY = french );
        ALTER TEXT SEARCH CONFIGURATION french_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;
"""
DROP_CONFIG = "DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent"

CREATE_INDEX = """
CREATE INDEX IF NOT EXISTS atelier_contribution_text_fts ON atelier_contribution
USING gin (to_tsvector('french_unaccent'::regconfig, text))
"""
DROP_INDEX = "DROP INDEX IF EXISTS atelier_contribution_text_fts"


def on_postgresql(sql):
    """A RunPython step that runs `sql` on PostgreSQL and does nothing elsewhere."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("atelier", "0003_group_lock"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(on_postgresql(CREATE_CONFIG), on_postgresql(DROP_CONFIG)),
        migrations.RunPython(on_postgresql(CREATE_INDEX), on_postgresql(DROP_INDEX)),
    ]
