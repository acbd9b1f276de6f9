
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dispatch', '0004_spike_alert'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (its old name, set as db_table); only Django's state moves.
            state_operations=[
                migrations.CreateModel(
                    name='RateCounter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('bucket', models.CharField(max_length=100)),
                        ('window_start', models.DateTimeField()),
                        ('count', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'dispatch_ratecounter',
                        'constraints': [models.UniqueConstraint(fields=('bucket', 'window_start'), name='ratecounter_bucket_window')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
