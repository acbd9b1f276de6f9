from django.db import migrations

# Defaults the center can tune in admin: a default for every category and the
# categories whose problems pile up in one place [AN-2]. A blocked drain or a
# parking mess is one cause behind calls a few hundred metres and days apart.
RULES = [
    ("", 150, 5, 7, "默认：7 天内 150 米范围 5 件以上"),
    ("0101", 300, 4, 14, "下水道堵塞：同一段管网，两周内 300 米范围 4 件以上"),
    ("0401", 300, 4, 14, "停车秩序：一条街或一个市场周边，两周内 300 米范围 4 件以上"),
    ("0701", 300, 4, 7, "供热管道漏水：同一管线"),
    ("0803", 300, 4, 7, "水管爆裂：同一管线"),
    ("1101", 200, 4, 14, "噪音扰民：同一施工点或商铺"),
]


def add_rules(apps, schema_editor):
    HotspotRule = apps.get_model("maps", "HotspotRule")
    for code, radius, minimum, days, note in RULES:
        HotspotRule.objects.get_or_create(
            category_code=code,
            defaults={"radius_m": radius, "min_tickets": minimum, "window_days": days, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("maps", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
