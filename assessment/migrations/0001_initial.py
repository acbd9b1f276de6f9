
import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dispatch', '0004_spike_alert'),
        ('grid', '0003_grid_version_sequence'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table stays where it is (its old name, set as db_table); only Django's state moves.
            state_operations=[
                migrations.CreateModel(
                    name='AssessmentScheme',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(help_text='The calendar year whose months are scored with these figures.', unique=True, validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name='year')),
                        ('sign_on_time_rate_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='Points a unit earns when every ticket is signed for on time.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: sign-for on time')),
                        ('contact_rate_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='Points earned when the caller was contacted on every ticket.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: contact with the citizen')),
                        ('reply_on_time_rate_weight', models.DecimalField(decimal_places=2, default=Decimal('20'), help_text='Points earned when every reply that was due came on time.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: reply on time')),
                        ('closure_rate_weight', models.DecimalField(decimal_places=2, default=Decimal('15'), help_text='Points earned when every ticket was closed.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: closure rate')),
                        ('reply_quality_weight', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='Points earned when every first reply was accepted at its first review.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: reply quality')),
                        ('satisfaction_rate_weight', models.DecimalField(decimal_places=2, default=Decimal('35'), help_text='Points earned when every caller called back was satisfied or basically satisfied.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='weight: satisfaction rate')),
                        ('overdue_per_point', models.DecimalField(decimal_places=2, default=Decimal('0.5'), help_text='Points taken off per percentage point of handled tickets overdue.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='overdue: points per percentage point')),
                        ('overdue_cap', models.DecimalField(decimal_places=2, default=Decimal('10'), help_text='At most this many points are taken off for overdue tickets.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='overdue: cap')),
                        ('rework_per_point', models.DecimalField(decimal_places=2, default=Decimal('0.5'), help_text='Points taken off per percentage point of handled tickets sent for rework.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='rework: points per percentage point')),
                        ('rework_cap', models.DecimalField(decimal_places=2, default=Decimal('5'), help_text='At most this many points are taken off for rework.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='rework: cap')),
                        ('refused_returns_per_point', models.DecimalField(decimal_places=2, default=Decimal('1'), help_text='Points taken off per percentage point of handled tickets whose return the center refused.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='refused returns: points per percentage point')),
                        ('refused_returns_cap', models.DecimalField(decimal_places=2, default=Decimal('5'), help_text='At most this many points are taken off for refused returns.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='refused returns: cap')),
                        ('repeats_per_point', models.DecimalField(decimal_places=2, default=Decimal('0.5'), help_text='Points taken off per percentage point of handled tickets that are repeat complaints.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='repeat complaints: points per percentage point')),
                        ('repeats_cap', models.DecimalField(decimal_places=2, default=Decimal('5'), help_text='At most this many points are taken off for repeat complaints.', max_digits=5, validators=[django.core.validators.MinValueValidator(0)], verbose_name='repeat complaints: cap')),
                        ('note', models.CharField(blank=True, help_text="Where the figures come from, e.g. the year's notice.", max_length=200, verbose_name='note')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name': 'assessment scheme',
                        'verbose_name_plural': 'assessment schemes',
                        'db_table': 'dispatch_assessmentscheme',
                        'ordering': ['-year'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('closure_rate_weight__gte', 0), ('contact_rate_weight__gte', 0), ('overdue_cap__gte', 0), ('overdue_per_point__gte', 0), ('refused_returns_cap__gte', 0), ('refused_returns_per_point__gte', 0), ('repeats_cap__gte', 0), ('repeats_per_point__gte', 0), ('reply_on_time_rate_weight__gte', 0), ('reply_quality_weight__gte', 0), ('rework_cap__gte', 0), ('rework_per_point__gte', 0), ('satisfaction_rate_weight__gte', 0), ('sign_on_time_rate_weight__gte', 0)), name='assessment_scheme_not_negative')],
                    },
                ),
                migrations.CreateModel(
                    name='AssessmentMonth',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.DateField(help_text='First day of the month', unique=True)),
                        ('computed_at', models.DateTimeField()),
                        ('scheme_used', models.JSONField(default=dict, help_text='The weights and caps the rows were scored with')),
                        ('event_watermark', models.BigIntegerField(default=0)),
                        ('assignment_watermark', models.BigIntegerField(default=0)),
                        ('stale', models.BooleanField(default=False, help_text="The year's scheme changed since it was computed")),
                        ('scheme', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='assessment.assessmentscheme')),
                    ],
                    options={
                        'verbose_name': 'stored assessment month',
                        'verbose_name_plural': 'stored assessment months',
                        'db_table': 'dispatch_assessmentmonth',
                        'ordering': ['-month'],
                    },
                ),
                migrations.CreateModel(
                    name='AssessmentRow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('group', models.CharField(max_length=20)),
                        ('position', models.PositiveSmallIntegerField(help_text="Order in the group's table")),
                        ('name', models.CharField(max_length=100)),
                        ('counts', models.JSONField(default=dict)),
                        ('rates', models.JSONField(default=dict)),
                        ('penalties', models.JSONField(default=dict)),
                        ('score', models.FloatField(blank=True, null=True)),
                        ('rank', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('talk', models.BooleanField(default=False)),
                        ('month', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rows', to='assessment.assessmentmonth')),
                        ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='grid.office')),
                    ],
                    options={
                        'db_table': 'dispatch_assessmentrow',
                        'ordering': ['month', 'group', 'position'],
                        'indexes': [models.Index(fields=['office', 'month'], name='assessment_row_office_month')],
                        'constraints': [models.UniqueConstraint(fields=('month', 'office'), name='assessment_row_once_per_month')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
