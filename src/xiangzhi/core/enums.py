"""Choices shared across the platform: region levels, organisation kinds, staff roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    COUNTY = "county", _("县（市、区）")
    TOWN = "town", _("乡镇（街道）")
    VILLAGE = "village", _("村（社区）")
    GRID = "grid", _("网格")


LEVEL_DEPTH = {RegionLevel.COUNTY: 0, RegionLevel.TOWN: 1, RegionLevel.VILLAGE: 2, RegionLevel.GRID: 3}
CODE_LENGTH = {RegionLevel.COUNTY: 6, RegionLevel.TOWN: 9, RegionLevel.VILLAGE: 12, RegionLevel.GRID: 15}


class RegionKind(models.TextChoices):
    COUNTY = "county", _("县级市")
    TOWN = "town", _("镇")
    SUBDISTRICT = "subdistrict", _("街道")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


class OrgKind(models.TextChoices):
    COUNTY_CENTRE = "county_centre", _("县级矛盾纠纷调处化解中心")
    JUSTICE_BUREAU = "justice_bureau", _("司法局")
    TOWN_COMMITTEE = "town_committee", _("乡镇（街道）人民调解委员会")
    VILLAGE_COMMITTEE = "village_committee", _("村（社区）人民调解委员会")
    PROFESSIONAL_COMMITTEE = "professional_committee", _("行业性专业性人民调解委员会")
    JUSTICE_OFFICE = "justice_office", _("司法所")
    DEPARTMENT = "department", _("联动部门")
    LAW_FIRM = "law_firm", _("律师事务所")
    BANK = "bank", _("银行")


MEDIATION_KINDS = frozenset(
    {OrgKind.COUNTY_CENTRE, OrgKind.TOWN_COMMITTEE, OrgKind.VILLAGE_COMMITTEE, OrgKind.PROFESSIONAL_COMMITTEE}
)


class Specialty(models.TextChoices):
    """Field of a professional mediation committee or of a joint-handling department."""

    NONE = "", _("无")
    TRAFFIC = "traffic", _("道路交通")
    MEDICAL = "medical", _("医疗纠纷")
    LABOUR = "labour", _("劳动争议")
    PROPERTY = "property", _("物业纠纷")
    FAMILY = "family", _("婚姻家庭")
    POLICE = "police", _("公安派出所")
    COURT = "court", _("人民法庭")
    LABOUR_BUREAU = "labour_bureau", _("人力社保局")
    NATURAL_RESOURCES = "natural_resources", _("自然资源和规划局")
    MARKET = "market", _("市场监督管理局")
    PETITIONS = "petitions", _("信访局")
    OTHER = "other", _("其他")


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    CENTRE_STAFF = "centre_staff", _("县矛调中心工作人员")
    TOWN_STAFF = "town_staff", _("司法所工作人员")
    MEDIATOR = "mediator", _("人民调解员")
    GRID_WORKER = "grid_worker", _("网格员")
    LAWYER = "lawyer", _("律师/法律服务工作者")
    LIAISON = "liaison", _("联动部门联络员")
    BANK_OFFICER = "bank_officer", _("银行工作人员")
    AUDITOR = "auditor", _("审计员（只读）")


ADMIN_ROLES = frozenset({Role.COUNTY_ADMIN})
SUPERVISOR_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF})
# Roles that may see personal data unmasked (each view is still logged).
PERSONAL_DATA_ROLES = frozenset({Role.COUNTY_ADMIN, Role.CENTRE_STAFF, Role.TOWN_STAFF, Role.MEDIATOR})
# Roles that may open person records (masked) of their jurisdiction: the mediation and justice-office staff who work
# with the parties, and the grid workers who register them. Banks, lawyers and department liaisons never do (they see
# what their own work shares with them); the auditor audits the logs, not the people.
PERSON_RECORD_ROLES = PERSONAL_DATA_ROLES | {Role.GRID_WORKER}


class UserKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    CITIZEN = "citizen", _("群众")
    SERVICE = "service", _("系统接入账号")


# API token scopes: ``<app>:<read|write>``; the app is the first path segment under /api/v1/ (``cases``, ``ledger``,
# ``consult``, ``insights``; everything else — me, regions, organisations, people, audit, notifications — is
# ``core``). ``write`` (POST and other unsafe methods) includes ``read`` of the same app.
TOKEN_APPS = {"core": _("基础数据（区划、组织、当事人、审计、通知）"), "cases": _("纠纷案件（桐解码）"),
              "ledger": _("区块链存证"), "timebank": _("时间银行"), "consult": _("智能咨询"), "outreach": _("精准普法"),
              "network": _("公共法律服务网络"), "recognitions": _("法律明白人与e法贷"),
              "legality": _("合法性审查"), "villages": _("民主法治村创建"), "insights": _("研判分析")}
TOKEN_ACCESS = {"read": _("只读"), "write": _("读写")}
TOKEN_SCOPES = tuple(f"{app}:{access}" for app in TOKEN_APPS for access in TOKEN_ACCESS)


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
