from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0009_statement_collectivity_without_constraint"),
    ]

    operations = [
        migrations.AddField(
            model_name="collectivitysnapshot",
            name="data_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
