from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("errors", "0006_covering_list_indexes")]

    operations: list = []
