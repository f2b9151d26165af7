"""The group list's release and environment filters ask, for each group, whether it has an
occurrence in that release or environment: with these partial indexes that is one probe a
group instead of a scan of its occurrences, and an error with neither costs its write no
more than before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0014_bulk_change_totals"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="apperror",
            index=models.Index(
                condition=models.Q(("release__isnull", False)),
                fields=["release", "group"],
                name="apperror_release_group",
            ),
        ),
        migrations.AddIndex(
            model_name="apperror",
            index=models.Index(
                condition=models.Q(("environment__isnull", False)),
                fields=["environment", "group"],
                name="apperror_environment_group",
            ),
        ),
    ]
