
import django.core.validators
import uuid
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
                    name='Open311Key',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('key', models.CharField(default=uuid.uuid4, max_length=64, unique=True)),
                        ('channel', models.CharField(choices=[('phone', 'Phone 12345'), ('web', 'Website'), ('mayor_mailbox', "Mayor's mailbox"), ('wechat', 'WeChat'), ('weibo', 'Weibo'), ('app', 'Mobile app'), ('media', 'Media column'), ('leaders_board', "People's Daily leaders' message board"), ('national_platform', 'National platform'), ('grid_worker', 'Grid worker')], default='app', max_length=24)),
                        ('is_active', models.BooleanField(default=True)),
                        ('rate_limit_per_minute', models.PositiveIntegerField(blank=True, help_text="POSTs this key may make per minute; empty for the site's default (OPEN311_RATE_LIMIT_PER_MINUTE)", null=True, validators=[django.core.validators.MinValueValidator(1)], verbose_name='requests per minute')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                    ],
                    options={
                        'verbose_name': 'Open311 API key',
                        'verbose_name_plural': 'Open311 API keys',
                        'db_table': 'dispatch_open311key',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
