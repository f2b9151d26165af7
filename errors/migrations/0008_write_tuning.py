from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("errors", "0007_list_tuning")]

    operations: list = []
