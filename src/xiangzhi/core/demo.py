"""Tongxiang demo data for the core app, built through the service functions (STYLE.md practice 10).

Every app may have a ``demo.py`` with ``build(ctx: DemoContext)``; ``xiangzhi demo`` calls them in INSTALLED_APPS
order. Builders must be idempotent: a second run creates nothing new.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from . import services
from .enums import OrgKind, RegionLevel, Role, Specialty
from .models import Organisation, Region, User

DIVISIONS = Path(__file__).resolve().parent / "data" / "tongxiang.json"

# Professional (industry) mediation committees at county level, and at each town.
COUNTY_PROFESSIONAL = [
    ("桐乡市道路交通事故人民调解委员会", Specialty.TRAFFIC),
    ("桐乡市医疗纠纷人民调解委员会", Specialty.MEDICAL),
    ("桐乡市劳动争议人民调解委员会", Specialty.LABOUR),
    ("桐乡市物业纠纷人民调解委员会", Specialty.PROPERTY),
    ("桐乡市婚姻家庭纠纷人民调解委员会", Specialty.FAMILY),
]
TOWN_PROFESSIONAL = [
    ("劳动争议人民调解委员会", Specialty.LABOUR),
    ("道路交通事故人民调解委员会", Specialty.TRAFFIC),
    ("物业纠纷人民调解委员会", Specialty.PROPERTY),
    ("婚姻家庭纠纷人民调解委员会", Specialty.FAMILY),
    ("商会人民调解委员会", Specialty.OTHER),
    ("企业人民调解委员会", Specialty.LABOUR),
    ("新居民人民调解委员会", Specialty.OTHER),
    ("消费纠纷人民调解委员会", Specialty.OTHER),
    ("一米调解工作室", Specialty.OTHER),
    ("乡贤调解工作室", Specialty.OTHER),
    ("退休法官调解工作室", Specialty.OTHER),
]
COUNTY_DEPARTMENTS = [
    ("桐乡市人力资源和社会保障局", Specialty.LABOUR_BUREAU),
    ("桐乡市自然资源和规划局", Specialty.NATURAL_RESOURCES),
    ("桐乡市市场监督管理局", Specialty.MARKET),
    ("桐乡市信访局", Specialty.PETITIONS),
    ("桐乡市人民法院", Specialty.COURT),
]
TRIBUNAL_TOWNS = {"乌镇镇": "乌镇人民法庭", "崇福镇": "崇福人民法庭", "濮院镇": "濮院人民法庭", "洲泉镇": "洲泉人民法庭"}
LAW_FIRMS = ["浙江桐乡正大律师事务所", "浙江梧桐律师事务所", "浙江崇福律师事务所"]
BANKS = ["浙江桐乡农村商业银行", "中国农业银行桐乡支行"]


@dataclass
class DemoContext:
    seed: int
    rng: random.Random
    stdout: object = None
    options: dict = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)


def _town_short(town: Region) -> str:
    return town.short_name or town.name


def build_regions(ctx: DemoContext) -> None:
    tree = json.loads(DIVISIONS.read_text(encoding="utf-8"))
    stats = services.load_regions(tree, actor=None, source="tongxiang.json")
    ctx.say(f"区划：新增 {stats.created}，未变 {stats.unchanged}")
    villages = Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code")
    grids_made = 0
    for village in villages:
        if village.children.exists():
            continue
        for n in range(1, 4):
            services.add_grid(village, name=f"{village.display_name}第{n}网格", actor=None, sequence=n)
            grids_made += 1
    if grids_made:
        ctx.say(f"网格：新增 {grids_made}")


def build_organisations(ctx: DemoContext) -> None:
    county = Region.objects.get(code=settings.XIANGZHI_COUNTY_CODE)
    make = services.create_organisation
    make(name="桐乡市社会矛盾纠纷调处化解中心", kind=OrgKind.COUNTY_CENTRE, region=county, phone="0573-88000000",
         address="桐乡市梧桐街道", actor=None)
    make(name="桐乡市司法局", kind=OrgKind.JUSTICE_BUREAU, region=county, phone="0573-88000001", actor=None)
    for name, spec in COUNTY_PROFESSIONAL:
        make(name=name, kind=OrgKind.PROFESSIONAL_COMMITTEE, specialty=spec, region=county, actor=None)
    for name, spec in COUNTY_DEPARTMENTS:
        make(name=name, kind=OrgKind.DEPARTMENT, specialty=spec, region=county, actor=None)
    for name in LAW_FIRMS:
        make(name=name, kind=OrgKind.LAW_FIRM, region=county, actor=None)
    for name in BANKS:
        make(name=name, kind=OrgKind.BANK, region=county, actor=None)
    for i, town in enumerate(Region.objects.filter(level=RegionLevel.TOWN).order_by("code"), start=1):
        short = _town_short(town)
        make(name=f"{short}人民调解委员会", kind=OrgKind.TOWN_COMMITTEE, region=town,
             phone=f"0573-8861{i:04d}", actor=None)
        make(name=f"{short}司法所", kind=OrgKind.JUSTICE_OFFICE, region=town, phone=f"0573-8862{i:04d}", actor=None)
        make(name=f"桐乡市公安局{short}派出所", kind=OrgKind.DEPARTMENT, specialty=Specialty.POLICE, region=town,
             actor=None)
        if short in TRIBUNAL_TOWNS:
            make(name=f"桐乡市人民法院{TRIBUNAL_TOWNS[short]}", kind=OrgKind.DEPARTMENT, specialty=Specialty.COURT,
                 region=town, actor=None)
        for suffix, spec in TOWN_PROFESSIONAL:
            make(name=f"{short}{suffix}", kind=OrgKind.PROFESSIONAL_COMMITTEE, specialty=spec, region=town,
                 actor=None)
    for village in Region.objects.filter(level=RegionLevel.VILLAGE).order_by("code"):
        make(name=f"{village.display_name}人民调解委员会", kind=OrgKind.VILLAGE_COMMITTEE, region=village, actor=None)
    mediation = Organisation.objects.filter(
        kind__in=[OrgKind.COUNTY_CENTRE, OrgKind.TOWN_COMMITTEE, OrgKind.VILLAGE_COMMITTEE,
                  OrgKind.PROFESSIONAL_COMMITTEE]
    ).count()
    ctx.say(f"组织：共 {Organisation.objects.count()} 个，其中人民调解组织 {mediation} 个")


# username, display name, role, region code (or town/village short name), organisation name, password suffix
DEMO_ACCOUNTS = [
    ("admin", "县级管理员", Role.COUNTY_ADMIN, "330483", "桐乡市司法局"),
    ("centre", "矛调中心 王敏", Role.CENTRE_STAFF, "330483", "桐乡市社会矛盾纠纷调处化解中心"),
    ("wuzhen_sfs", "乌镇司法所 沈芳", Role.TOWN_STAFF, "乌镇镇", "乌镇镇司法所"),
    ("wuzhen_mediator", "调解员 钱建国", Role.MEDIATOR, "乌镇镇/first", "first-village-committee"),
    ("wuzhen_grid", "网格员 朱丽", Role.GRID_WORKER, "乌镇镇/first-grid", "first-village-committee"),
    ("chongfu_mediator", "调解员 陆志强", Role.MEDIATOR, "崇福镇/first", "first-village-committee"),
    ("lawyer", "律师 周律", Role.LAWYER, "330483", "浙江桐乡正大律师事务所"),
    ("liaison", "乌镇派出所 孙警官", Role.LIAISON, "乌镇镇", "桐乡市公安局乌镇镇派出所"),
    ("bank", "农商银行 吴经理", Role.BANK_OFFICER, "330483", "浙江桐乡农村商业银行"),
    ("auditor", "审计员 郑审", Role.AUDITOR, "330483", "桐乡市司法局"),
]


def demo_password(username: str, seed: int) -> str:
    """Reproducible demo passwords that satisfy the policy (≥ 10 characters, 3 classes)."""
    rng = random.Random(f"{seed}:{username}")
    tail = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))
    return f"Xz{seed}-{tail}"


def _resolve_demo_place(spec: str, org_name: str) -> tuple[Region, Organisation]:
    if "/" in spec:
        town_name, which = spec.split("/")
        town = Region.objects.get(level=RegionLevel.TOWN, short_name=town_name)
        village = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town.code).order_by("code").first()
        org = Organisation.objects.get(region=village, kind=OrgKind.VILLAGE_COMMITTEE)
        if which == "first-grid":
            return village.children.order_by("code").first(), org
        return village, org
    if spec.isdigit():
        region = Region.objects.get(code=spec)
    else:
        region = Region.objects.get(level=RegionLevel.TOWN, short_name=spec)
    return region, Organisation.objects.get(name=org_name)


def build_accounts(ctx: DemoContext) -> None:
    for username, display, role, place, org_name in DEMO_ACCOUNTS:
        password = demo_password(username, ctx.seed)
        region, org = _resolve_demo_place(place, org_name)
        user = User.objects.filter(username=username).first()
        if user is None:
            phone = f"139{ctx.rng.randrange(10**7, 10**8):08d}"
            user = services.create_staff_user(username=username, password=password, display_name=display, actor=None,
                                              phone=phone, is_superuser=(role == Role.COUNTY_ADMIN))
        elif not user.check_password(password):
            services.change_password(user, new_password=password, actor=None)
        services.add_membership(user, role=role, region=region, organisation=org, actor=None)
        ctx.accounts.append((username, password, f"{Role(role).label} · {region.display_name}"))


def build(ctx: DemoContext) -> None:
    build_regions(ctx)
    build_organisations(ctx)
    build_accounts(ctx)
