
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('open311', '0002_key_real_name_duty'),
    ]

    operations = [
        migrations.AlterField(
            model_name='open311key',
            name='channel',
            field=models.CharField(choices=[('phone', 'Phone 12345'), ('web', 'Website'), ('mayor_mailbox', "Mayor's mailbox"), ('wechat', 'WeChat'), ('weibo', 'Weibo'), ('app', 'Mobile app'), ('media', 'Media column'), ('leaders_board', "People's Daily leaders' message board"), ('national_platform', 'National platform'), ('grid_worker', 'Grid worker'), ('h5', 'Web/WeChat H5 page')], default='app', max_length=24),
        ),
    ]
