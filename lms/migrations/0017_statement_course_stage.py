"""Each statement keeps the stage of a course it records (``Statement.course_stage``,
``lms.xapi.evidence.course_stage``), written by the statement store; the activity figures read it, through the
index ``lms_stmt_course_stage``, instead of each statement's verb and ``data``.

The statements already stored get theirs here, by the rule of this release (the same function the store calls:
a later change to the rule comes with its own migration writing them again). Only the statements of a stage
are read (their verb, object and ``grouping``), in batches in ``seq`` order (49 s per million statements on the
benchmark's machine, the table locked meanwhile). The index is built after.

Upgrading: statements that processes of the previous release store after this migration has committed (a web
worker not yet restarted) have no course stage, and the activity figures would not count them: run
``manage.py lms_write_course_stages`` once every process runs this release. ``VACUUM (ANALYZE) lms_statement``
afterwards (or autovacuum) lets the nightly run read the new index without visiting the table.
"""

from django.db import migrations, models


def write_course_stages(apps, schema_editor):
    from lms.xapi.storage import write_course_stages

    write_course_stages(apps.get_model("lms", "Statement").objects.all(), schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0016_statement_evidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="course_stage",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(write_course_stages, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(
                condition=models.Q(
                    ("collectivity__isnull", False), ("course_stage__isnull", False), ("voided", False)
                ),
                fields=["collectivity", "actor_name"],
                include=("seq", "timestamp", "course_stage"),
                name="lms_stmt_course_stage",
            ),
        ),
    ]
