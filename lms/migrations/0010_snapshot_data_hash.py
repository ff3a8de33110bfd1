from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        # 0009_statement_collectivity_without_constraint comes from another branch: the dependency is
        # moved to it when both are merged.
        ("lms", "0009_statement_collectivity_without_constraint"),
    ]

    operations = [
        migrations.AddField(
            model_name="collectivitysnapshot",
            name="data_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
