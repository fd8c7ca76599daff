"""Seed the 15 standard dispute types (人民调解统计口径) and the default routing table. Editable afterwards."""

from django.db import migrations

TYPES = [
    ("family", "婚姻家庭"), ("neighbour", "邻里"), ("housing", "房屋宅基地"), ("contract", "合同"),
    ("business", "生产经营"), ("damages", "损害赔偿"), ("land", "山林土地"), ("expropriation", "征地拆迁"),
    ("pollution", "环境污染"), ("labour", "劳动争议"), ("consumer", "消费"), ("medical", "医疗"),
    ("traffic", "道路交通事故"), ("property", "物业"), ("other", "其他"),
]

# (type code or None, risk level, target level, organisation kind, specialty, note)
RULES = [
    (None, "", "village", "village_committee", "", "一般纠纷：纠纷发生地（或被申请人所在）村（社区）人民调解委员会"),
    ("traffic", "", "town", "professional_committee", "traffic", "道路交通事故：交通事故人民调解委员会"),
    ("medical", "", "county", "professional_committee", "medical", "医疗纠纷：市医疗纠纷人民调解委员会"),
    ("labour", "", "town", "professional_committee", "labour", "劳动争议：劳动争议人民调解委员会"),
    ("property", "", "town", "professional_committee", "property", "物业纠纷：物业纠纷人民调解委员会"),
    ("expropriation", "", "town", "town_committee", "", "征地拆迁：乡镇（街道）人民调解委员会"),
    (None, "elevated", "town", "town_committee", "", "疑难复杂、风险较大：乡镇（街道）人民调解委员会"),
    (None, "major", "county", "county_centre", "", "重大风险：县级矛盾纠纷调处化解中心"),
]


def seed(apps, schema_editor):
    DisputeType = apps.get_model("disputes", "DisputeType")
    RoutingRule = apps.get_model("disputes", "RoutingRule")
    by_code = {}
    for order, (code, name) in enumerate(TYPES, start=1):
        by_code[code], _ = DisputeType.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for code, risk, level, kind, specialty, note in RULES:
        RoutingRule.objects.get_or_create(
            dispute_type=by_code[code] if code else None, region_prefix="", risk_level=risk,
            defaults={"target_level": level, "org_kind": kind, "specialty": specialty, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
