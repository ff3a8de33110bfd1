"""Each statement keeps the evidence it gives (``Statement.evidence``, ``lms.xapi.evidence.evidence_summary``),
written by the statement store; the levels are computed from it instead of each statement's ``data``.

The statements already stored get theirs here, from ``data``, by the rules of this release (the same
function the store calls: a later change to the rules comes with its own migration writing them again).
Only the statements that can give evidence are read: ``passed`` and ``completed`` ones, and those with a
declared-levels extension.
"""

from django.db import migrations, models
from django.db.models import Q

BATCH = 2_000


def write_summaries(apps, schema_editor):
    from lms.xapi.evidence import evidence_summary
    from lms.xapi import vocabulary as v

    Statement = apps.get_model("lms", "Statement")
    candidates = Statement.objects.using(schema_editor.connection.alias).filter(
        Q(verb__in=[v.PASSED.id, v.COMPLETED.id])
        | Q(**{"data__context__extensions__has_key": v.EXT_DECLARED_LEVELS})
    )
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            rows = list(candidates.filter(seq__gt=last).order_by("seq").values_list("seq", "data")[:BATCH])
            if not rows:
                break
            last = rows[-1][0]
            updates = [(summary, seq) for seq, data in rows if (summary := evidence_summary(data)) is not None]
            if updates:
                cursor.executemany("UPDATE lms_statement SET evidence = %s WHERE seq = %s", updates)


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0015_snapshot_groups_as_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="evidence",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(write_summaries, migrations.RunPython.noop, elidable=True),
    ]
