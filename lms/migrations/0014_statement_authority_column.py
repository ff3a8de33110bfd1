"""The ``authority`` the LRS sets goes to its own column; ``stored`` and the default ``version`` are not
repeated in ``data`` either (``lms.models.statements.full_statement`` puts them back when reading).

Rows stored earlier keep these properties inside ``data`` and an empty ``authority``: reads treat both alike,
so no rewrite of the statement store is needed (adding a column with a constant default is instant). The
default stays in the database, for rows written by other means than the LRS.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0013_identifier_columns_bytewise"),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="authority",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="authority"),
        ),
    ]
