
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dispatch", "0005_models_to_their_apps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
    ]
