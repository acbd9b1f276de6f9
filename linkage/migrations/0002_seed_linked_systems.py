"""The eight lines of [CT-2] as linked systems (active, no inbound token yet: the admin issues them)."""

from django.db import migrations

SYSTEMS = [
    ("110", "110 公安报警服务台"),
    ("119", "119 消防救援指挥中心"),
    ("120", "120 急救指挥中心"),
    ("122", "122 交通事故报警台"),
    ("water", "供水服务热线"),
    ("power", "供电服务热线"),
    ("gas", "燃气服务热线"),
    ("heating", "供热服务热线"),
]


def seed(apps, schema_editor):
    LinkedSystem = apps.get_model("linkage", "LinkedSystem")
    for code, name in SYSTEMS:
        LinkedSystem.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("linkage", "0001_linked_systems_and_handovers")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
