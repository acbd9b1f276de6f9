from django.db import migrations


class Migration(migrations.Migration):
    """Grid versions come from a sequence: nextval() is never rolled back, so a
    version number is never reused for different boundaries (grid.index caches by it)."""

    dependencies = [("grid", "0002_gridstate")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS grid_version_seq",
            "DROP SEQUENCE IF EXISTS grid_version_seq",
        ),
    ]
