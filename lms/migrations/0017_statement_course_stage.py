"""Each statement keeps the stage of a course it records (``Statement.course_stage``,
``lms.xapi.evidence.course_stage``), written by the statement store; the activity figures read it, through the
index ``lms_stmt_course_stage``, instead of each statement's verb and ``data``.

The statements already stored get theirs here, by the rule of this release (the same function the store calls:
a later change to the rule comes with its own migration writing them again). Only the statements of a stage
are read (their verb, object and ``grouping``), in batches in ``seq`` order. The index is built after.
"""

from django.db import migrations, models

BATCH = 10_000


def write_course_stages(apps, schema_editor):
    from lms.xapi.evidence import COURSE_STAGES, course_stage

    Statement = apps.get_model("lms", "Statement")
    connection = schema_editor.connection
    candidates = Statement.objects.using(connection.alias).filter(verb__in=list(COURSE_STAGES))
    last = 0
    with connection.cursor() as cursor:
        while True:
            rows = list(
                candidates.filter(seq__gt=last)
                .order_by("seq")
                .values_list("seq", "verb", "object_id", "data__context__contextActivities__grouping")[:BATCH]
            )
            if not rows:
                break
            last = rows[-1][0]
            seqs, stages = [], []
            for seq, verb, object_id, grouping in rows:
                seqs.append(seq)
                statement = {"verb": {"id": verb}, "context": {"contextActivities": {"grouping": grouping}}}
                stages.append(course_stage(statement, object_id))
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE lms_statement s SET course_stage = u.stage "
                    "FROM unnest(%s::bigint[], %s::text[]) AS u(seq, stage) WHERE s.seq = u.seq",
                    [seqs, stages],
                )
            else:
                cursor.executemany(
                    "UPDATE lms_statement SET course_stage = %s WHERE seq = %s", list(zip(stages, seqs))
                )


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
