"""Snapshots store each group's figures as JSON text (``lms.models.analytics.encode_snapshot_groups``).

No change to the column (``jsonb``, compressed with LZ4 by migration 0011): the field encodes what it writes and
decodes what it reads, and reads snapshots written before the same. Their ``data_hash`` was computed on the
other form, so the next national pass rewrites each of them once.
"""

import lms.models.analytics
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('lms', '0014_statement_authority_column'),
    ]

    operations = [
        migrations.AlterField(
            model_name='collectivitysnapshot',
            name='data',
            field=lms.models.analytics.SnapshotDataField(),
        ),
    ]
