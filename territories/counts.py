"""How many live notes each workshop holds, by kind and by theme, kept exact by
the database itself.

A dashboard shows a territory's notes by kind and its top themes beside their
national share. Counted from the notes at each view, that scans every note of
the territory and then every note in France: ~500 ms at 100,000 notes. So two
small tables, `NoteCount` (workshop, kind) and `ThemeCount` (workshop, theme,
kind), hold the counts, and a dashboard sums a few hundred rows.

The counts are kept by database triggers on `atelier_contribution` and its
themes table, not by Django signals: notes are written by paths that send no
signal (the board's INSERT … ON CONFLICT through `bulk_create`, queryset
updates, tags added in bulk by the search page or when themes are merged), and
a trigger sees them all, in the writing transaction. Only a live note counts
(`deleted_at` empty); a soft delete or a restore moves the counts, and so does
a change of kind. On PostgreSQL the triggers run once per statement over its
transition tables (a `bulk_create` of 5,000 notes is one aggregate, and an
update that changes no count writes nothing); SQLite has row triggers only.
A decrement never creates a row: a workshop being deleted may already have
lost its count rows in the same transaction.

Migration 0002 installs the triggers and counts what exists. SQLite drops a
table's triggers when Django rebuilds the table to alter it, so after every
`migrate` `ensure()` checks that they are all there and, if not, reinstalls
them and counts again (territories/apps.py).
"""

from django.db import connection, transaction

NOTES = "atelier_contribution"
TAGS = "atelier_contribution_themes"
COUNTS = ("territories_notecount", "territories_themecount")

# --- PostgreSQL: statement triggers over transition tables ---------------------------

# Changes of counts, as rows (workshop_id, kind[, theme_id], delta), from the
# rows a statement removed (`old_rows`, -1) and added (`new_rows`, +1).
_PG_NOTE_DELTAS = """
SELECT r.workshop_id, d.kind, SUM(d.delta) AS delta
FROM ({rows}) d
JOIN atelier_workinggroup g ON g.id = d.group_id
JOIN atelier_round r ON r.id = g.round_id
GROUP BY r.workshop_id, d.kind
HAVING SUM(d.delta) <> 0
"""
_PG_NOTE_ROWS = "SELECT group_id, kind, {sign} AS delta FROM {table} WHERE deleted_at IS NULL"
_PG_THEME_DELTAS = """
SELECT r.workshop_id, d.kind, d.theme_id, SUM(d.delta) AS delta
FROM ({rows}) d
JOIN atelier_workinggroup g ON g.id = d.group_id
JOIN atelier_round r ON r.id = g.round_id
GROUP BY r.workshop_id, d.kind, d.theme_id
HAVING SUM(d.delta) <> 0
"""
# A note's tags, for notes whose counts change (kind, life, group).
_PG_NOTE_TAG_ROWS = (
    "SELECT n.group_id, n.kind, t.theme_id, {sign} AS delta FROM {table} n"
    " JOIN atelier_contribution_themes t ON t.contribution_id = n.id WHERE n.deleted_at IS NULL"
)
# Tags added or removed, for live notes.
_PG_TAG_ROWS = (
    "SELECT n.group_id, n.kind, t.theme_id, {sign} AS delta FROM {table} t"
    " JOIN atelier_contribution n ON n.id = t.contribution_id WHERE n.deleted_at IS NULL"
)
_PG_APPLY_NOTES = """
WITH d AS ({deltas}),
lowered AS (
    UPDATE territories_notecount c SET n = c.n + d.delta FROM d
    WHERE d.delta < 0 AND c.workshop_id = d.workshop_id AND c.kind = d.kind
)
INSERT INTO territories_notecount AS c (workshop_id, kind, n)
SELECT workshop_id, kind, delta FROM d WHERE delta > 0
ON CONFLICT (workshop_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
"""
_PG_APPLY_THEMES = """
WITH d AS ({deltas}),
lowered AS (
    UPDATE territories_themecount c SET n = c.n + d.delta FROM d
    WHERE d.delta < 0 AND c.workshop_id = d.workshop_id AND c.kind = d.kind
    AND c.theme_id = d.theme_id
)
INSERT INTO territories_themecount AS c (workshop_id, kind, theme_id, n)
SELECT workshop_id, kind, theme_id, delta FROM d WHERE delta > 0
ON CONFLICT (workshop_id, theme_id, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
"""


def _pg_rows(template, tables):
    return " UNION ALL ".join(
        template.format(table=table, sign=sign)
        for table, sign in (("old_rows", -1), ("new_rows", 1))
        if table in tables
    )


def _pg_function(name, blocks):
    """A trigger function running `blocks` {TG_OP: sql} for its operation."""
    body = "\n".join(
        f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN\n{sql}"
        for i, (op, sql) in enumerate(blocks.items())
    )
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body}\nEND IF;\nRETURN NULL;\nEND $$;"
    )


def _pg_note_block(tables):
    notes = _PG_APPLY_NOTES.format(
        deltas=_PG_NOTE_DELTAS.format(rows=_pg_rows(_PG_NOTE_ROWS, tables))
    )
    themes = _PG_APPLY_THEMES.format(
        deltas=_PG_THEME_DELTAS.format(rows=_pg_rows(_PG_NOTE_TAG_ROWS, tables))
    )
    return notes + themes


def _pg_tag_block(tables):
    return _PG_APPLY_THEMES.format(
        deltas=_PG_THEME_DELTAS.format(rows=_pg_rows(_PG_TAG_ROWS, tables))
    )


_OPERATIONS = {
    "INSERT": ("new_rows",),
    "UPDATE": ("old_rows", "new_rows"),
    "DELETE": ("old_rows",),
}
_REFERENCING = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def _pg_install():
    statements = [
        _pg_function(
            "territories_count_notes", {op: _pg_note_block(t) for op, t in _OPERATIONS.items()}
        ),
        _pg_function(
            "territories_count_tags", {op: _pg_tag_block(t) for op, t in _OPERATIONS.items()}
        ),
    ]
    for table, function in ((NOTES, "territories_count_notes"), (TAGS, "territories_count_tags")):
        for op in _OPERATIONS:
            name = _trigger_name(table, op)
            statements += [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {op} ON {table} {_REFERENCING[op]}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
    return statements


def _pg_uninstall():
    statements = [
        f"DROP TRIGGER IF EXISTS {_trigger_name(table, op)} ON {table}"
        for table in (NOTES, TAGS)
        for op in _OPERATIONS
    ]
    return statements + [
        "DROP FUNCTION IF EXISTS territories_count_notes()",
        "DROP FUNCTION IF EXISTS territories_count_tags()",
    ]


# --- SQLite: row triggers ------------------------------------------------------------

# An upsert's SELECT needs a WHERE (SQLite's parser). A note's workshop is
# that of its group's round.
_LITE_NOTE_UP = """
INSERT INTO territories_notecount (workshop_id, kind, n)
SELECT r.workshop_id, NEW.kind, 1 FROM atelier_workinggroup g
JOIN atelier_round r ON r.id = g.round_id WHERE g.id = NEW.group_id AND NEW.deleted_at IS NULL
ON CONFLICT (workshop_id, kind) DO UPDATE SET n = n + 1;
INSERT INTO territories_themecount (workshop_id, kind, theme_id, n)
SELECT r.workshop_id, NEW.kind, t.theme_id, 1 FROM atelier_contribution_themes t
JOIN atelier_workinggroup g ON g.id = NEW.group_id JOIN atelier_round r ON r.id = g.round_id
WHERE t.contribution_id = NEW.id AND NEW.deleted_at IS NULL
ON CONFLICT (workshop_id, theme_id, kind) DO UPDATE SET n = n + 1;
"""
_LITE_NOTE_DOWN = """
UPDATE territories_notecount SET n = n - 1
WHERE OLD.deleted_at IS NULL AND kind = OLD.kind AND workshop_id = (
    SELECT r.workshop_id FROM atelier_workinggroup g JOIN atelier_round r ON r.id = g.round_id
    WHERE g.id = OLD.group_id
);
UPDATE territories_themecount SET n = n - 1
WHERE OLD.deleted_at IS NULL AND kind = OLD.kind AND workshop_id = (
    SELECT r.workshop_id FROM atelier_workinggroup g JOIN atelier_round r ON r.id = g.round_id
    WHERE g.id = OLD.group_id
) AND theme_id IN (SELECT theme_id FROM atelier_contribution_themes WHERE contribution_id = OLD.id);
"""
_LITE_TAG_UP = """
INSERT INTO territories_themecount (workshop_id, kind, theme_id, n)
SELECT r.workshop_id, c.kind, NEW.theme_id, 1 FROM atelier_contribution c
JOIN atelier_workinggroup g ON g.id = c.group_id JOIN atelier_round r ON r.id = g.round_id
WHERE c.id = NEW.contribution_id AND c.deleted_at IS NULL
ON CONFLICT (workshop_id, theme_id, kind) DO UPDATE SET n = n + 1;
"""
_LITE_TAG_DOWN = """
UPDATE territories_themecount SET n = n - 1
WHERE theme_id = OLD.theme_id AND EXISTS (
    SELECT 1 FROM atelier_contribution c
    JOIN atelier_workinggroup g ON g.id = c.group_id JOIN atelier_round r ON r.id = g.round_id
    WHERE c.id = OLD.contribution_id AND c.deleted_at IS NULL
    AND r.workshop_id = territories_themecount.workshop_id AND c.kind = territories_themecount.kind
);
"""
# Only the columns the counts depend on: moving a note or editing its text
# costs nothing.
_LITE_NOTE_UPDATE = (
    "AFTER UPDATE OF kind, deleted_at, group_id ON atelier_contribution FOR EACH ROW"
    " WHEN OLD.kind IS NOT NEW.kind OR OLD.deleted_at IS NOT NEW.deleted_at"
    " OR OLD.group_id IS NOT NEW.group_id"
)
_LITE_TRIGGERS = {
    (NOTES, "INSERT"): ("AFTER INSERT ON atelier_contribution FOR EACH ROW", _LITE_NOTE_UP),
    (NOTES, "UPDATE"): (_LITE_NOTE_UPDATE, _LITE_NOTE_DOWN + _LITE_NOTE_UP),
    (NOTES, "DELETE"): ("AFTER DELETE ON atelier_contribution FOR EACH ROW", _LITE_NOTE_DOWN),
    (TAGS, "INSERT"): ("AFTER INSERT ON atelier_contribution_themes FOR EACH ROW", _LITE_TAG_UP),
    (TAGS, "UPDATE"): (
        "AFTER UPDATE ON atelier_contribution_themes FOR EACH ROW",
        _LITE_TAG_DOWN + _LITE_TAG_UP,
    ),
    (TAGS, "DELETE"): ("AFTER DELETE ON atelier_contribution_themes FOR EACH ROW", _LITE_TAG_DOWN),
}


def _lite_install():
    statements = []
    for (table, op), (when, body) in _LITE_TRIGGERS.items():
        name = _trigger_name(table, op)
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {when} BEGIN {body} END",
        ]
    return statements


def _lite_uninstall():
    return [f"DROP TRIGGER IF EXISTS {_trigger_name(t, op)}" for t, op in _LITE_TRIGGERS]


# --- Installing, checking, recounting --------------------------------------------------


def _trigger_name(table, op):
    return f"territories_count_{'tags' if table == TAGS else 'notes'}_{op.lower()}"


TRIGGERS = [_trigger_name(table, op) for table in (NOTES, TAGS) for op in _OPERATIONS]

RECOUNT = [
    "DELETE FROM territories_notecount",
    "DELETE FROM territories_themecount",
    """INSERT INTO territories_notecount (workshop_id, kind, n)
    SELECT r.workshop_id, c.kind, COUNT(*) FROM atelier_contribution c
    JOIN atelier_workinggroup g ON g.id = c.group_id JOIN atelier_round r ON r.id = g.round_id
    WHERE c.deleted_at IS NULL GROUP BY r.workshop_id, c.kind""",
    """INSERT INTO territories_themecount (workshop_id, kind, theme_id, n)
    SELECT r.workshop_id, c.kind, t.theme_id, COUNT(*) FROM atelier_contribution_themes t
    JOIN atelier_contribution c ON c.id = t.contribution_id
    JOIN atelier_workinggroup g ON g.id = c.group_id JOIN atelier_round r ON r.id = g.round_id
    WHERE c.deleted_at IS NULL GROUP BY r.workshop_id, c.kind, t.theme_id""",
]


def install(conn=connection):
    """Create (or replace) the triggers, then count what exists, in one
    transaction: on PostgreSQL, creating a trigger locks out writers to the
    table until the recount commits, so no note falls between the two."""
    statements = {"postgresql": _pg_install, "sqlite": _lite_install}[conn.vendor]()
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        for sql in statements + RECOUNT:
            cursor.execute(sql)


def uninstall(conn=connection):
    statements = {"postgresql": _pg_uninstall, "sqlite": _lite_uninstall}[conn.vendor]()
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def installed(conn=connection) -> set[str]:
    """The names of the count triggers present in the database."""
    sql = {
        "postgresql": "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'territories_count_%'",
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        " AND name LIKE 'territories_count_%'",
    }[conn.vendor]
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return {name for (name,) in cursor.fetchall()}


def ensure(conn=connection) -> bool:
    """Reinstall the triggers and recount if one is missing (a rebuilt SQLite
    table lost them). True when it had to."""
    tables = set(conn.introspection.table_names())
    if not {*COUNTS, NOTES, TAGS} <= tables:
        return False  # not migrated this far (or migrated back)
    if installed(conn) >= set(TRIGGERS):
        return False
    install(conn)
    return True


def recount(conn=connection):
    """Count again from the notes (the triggers keep the counts; this is for
    doubt, or after writing with triggers disabled)."""
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        for sql in RECOUNT:
            cursor.execute(sql)
