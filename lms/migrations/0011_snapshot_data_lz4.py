"""Snapshot data compressed with lz4 instead of pglz (PostgreSQL 14+ built with lz4; elsewhere nothing).

A national pass that rewrites the 200 snapshots of the benchmark (51 MB of JSON) spent ~4 s of its ~7 s
write in pglz; lz4 compresses (and the dashboards decompress) several times faster. Rows already stored keep
pglz until they are rewritten; both are read alike.
"""

from django.db import migrations

_SUPPORTED = """
SELECT current_setting('server_version_num')::int >= 140000
   AND EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))
"""


def _set_compression(method):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(_SUPPORTED)
            if not cursor.fetchone()[0]:
                return
            cursor.execute(f"ALTER TABLE lms_collectivitysnapshot ALTER COLUMN data SET COMPRESSION {method}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0010_snapshot_data_hash"),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("pglz")),
    ]
