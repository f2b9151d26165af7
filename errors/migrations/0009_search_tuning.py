from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("errors", "0008_write_tuning")]

    operations: list = []
