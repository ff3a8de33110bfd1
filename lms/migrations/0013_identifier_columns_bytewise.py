"""Identifier columns compared byte by byte (PostgreSQL ``COLLATE "C"``).

Actors' keys and activity ids are identifiers, never words to sort in French: ordering them by the
database's locale buys nothing, and costs on every comparison — each index insert and lookup, each sort and
merge of the analytics — a call to the C library's ``strcoll`` without abbreviated keys, instead of a
``memcmp``. Equality is the same under both (the locale's collations are deterministic), so no query changes.

The tables are not rewritten, only the indexes on these columns are rebuilt, under an exclusive lock: 0.6-2.7 s
for the ``actor_name`` index of 1,000,000 statements on the benchmark's machine (schedule it with the release).

PostgreSQL only (SQLite compares bytes already). Django's model state does not carry the collation (SQLite
has no "C" collation to declare): a later ``AlterField`` of one of these columns must keep ``COLLATE "C"``.
"""

from django.db import migrations

#: The actors' keys everywhere they are stored, and the activity ids of statements (both indexed).
COLUMNS = [
    ("lms_statement", "actor_name", "varchar(255)"),
    ("lms_statement", "object_id", "varchar(500)"),
    ("lms_competenceevidence", "actor_name", "varchar(255)"),
    ("lms_learnerlevelhistory", "actor_name", "varchar(255)"),
    ("lms_learnercompetencelevel", "actor_name", "varchar(255)"),
    ("lms_erasedmember", "actor_name", "varchar(255)"),
]


def _collate(schema_editor, collation: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, kind in COLUMNS:
        schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} COLLATE "{collation}"')
    # ALTER ... TYPE drops the columns' statistics, and no row changed for autovacuum to gather them again:
    # without them the planner walks the wrong index (the agent filter took the ``stored`` index backwards).
    for table in dict.fromkeys(table for table, _, _ in COLUMNS):
        columns = ", ".join(column for name, column, _ in COLUMNS if name == table)
        schema_editor.execute(f"ANALYZE {table} ({columns})")


def bytewise(apps, schema_editor):
    _collate(schema_editor, "C")


def by_locale(apps, schema_editor):
    _collate(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0012_statement_agent_without_index"),
    ]

    operations = [migrations.RunPython(bytewise, by_locale)]
