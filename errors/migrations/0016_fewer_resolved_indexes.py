"""Two indexes led with, or filtered on, ``resolved`` for list views no plan picks: the
unresolved list reads the time index (it carries ``resolved``, and its count comes from the
daily totals), and one app's unresolved errors of a severity read the app's index the same
way. Every index holding ``resolved`` has its entry moved when an error is resolved; these
two were a third of a group resolve's index work (BENCHMARKS.md, "Mass changes")."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0015_release_environment_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="apperror", name="apperror_resolved_time_id"),
        migrations.RemoveIndex(model_name="apperror", name="apperror_triage"),
    ]
