
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dispatch', '0004_spike_alert'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (its old name, set as db_table); only Django's state moves.
            state_operations=[
                migrations.CreateModel(
                    name='SpikeAlert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('township_code', models.CharField(max_length=12)),
                        ('county_code', models.CharField(blank=True, max_length=12)),
                        ('day', models.DateField()),
                        ('count', models.PositiveIntegerField(help_text='Tickets of the category in the township that day (latest pass)')),
                        ('first_count', models.PositiveIntegerField(help_text='The count when the flare was raised')),
                        ('baseline_mean', models.FloatField(help_text='Daily mean over the baseline days')),
                        ('baseline_sd', models.FloatField()),
                        ('detected_at', models.DateTimeField()),
                        ('report_due', models.DateTimeField(help_text='Detection + 2 hours [AN-1]')),
                        ('state', models.CharField(choices=[('open', 'Open: report owed'), ('reported', 'Reported'), ('dismissed', 'Dismissed')], db_index=True, default='open', max_length=10)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('report_text', models.TextField(blank=True)),
                        ('reported_at', models.DateTimeField(blank=True, null=True)),
                        ('dismissed_reason', models.TextField(blank=True)),
                        ('pushed_at', models.DateTimeField(blank=True, help_text='When the walls were told', null=True)),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dispatch.category')),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'spike alert',
                        'verbose_name_plural': 'spike alerts',
                        'db_table': 'dispatch_spikealert',
                        'ordering': ['-detected_at', '-id'],
                        'indexes': [models.Index(condition=models.Q(('pushed_at__isnull', True)), fields=['pushed_at'], name='spikealert_unpushed')],
                        'constraints': [models.UniqueConstraint(fields=('category', 'township_code', 'day'), name='spikealert_once_per_day'), models.CheckConstraint(condition=models.Q(models.Q(('state', 'reported'), _negated=True), models.Q(models.Q(('report_text', ''), _negated=True), ('reported_at__isnull', False)), _connector='OR'), name='spikealert_reported_has_text')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
