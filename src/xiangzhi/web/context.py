"""Template context shared by every page: site name, navigation by role, the selected region."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from xiangzhi.consultation import rules as consultation_rules
from xiangzhi.core import rules, selectors
from xiangzhi.disputes import rules as disputes_rules
from xiangzhi.insights import rules as insights_rules
from xiangzhi.legality import rules as legality_rules
from xiangzhi.network import selectors as network_selectors
from xiangzhi.outreach import rules as outreach_rules
from xiangzhi.recognitions import rules as recognition_rules
from xiangzhi.recognitions import selectors as recognition_selectors
from xiangzhi.timebank import rules as timebank_rules
from xiangzhi.villages import rules as villages_rules


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# (url name, label, predicate) — an entry shows only if its page exists and the user may open it: the predicate is
# the one the page itself is guarded by (tests/browser/test_role_journeys.py opens every entry of every role).
STAFF_NAV = [
    ("web:workbench", "工作台", rules.is_staff_member),
    ("disputes:workbench", "纠纷案件", disputes_rules.is_dispute_staff),
    ("disputes:joint_list", "联动协办", disputes_rules.is_liaison),
    ("insights:dashboard", "研判分析", insights_rules.can_view_insights),
    ("ledger:status", "区块链存证", rules.is_staff_member),
    ("consultation:workbench", "咨询工作台", lambda u: rules.has_role(u, consultation_rules.LEGAL_ROLES)),
    ("outreach:board", "普法抢单",
     lambda u: bool((outreach_rules.CLAIM_ROLES | outreach_rules.REVIEW_ROLES) & rules.roles_of(u))),
    ("outreach:workbench", "普法资源库",
     lambda u: bool((outreach_rules.LIBRARY_ROLES | outreach_rules.JURY_ROLES) & rules.roles_of(u))),
    ("network:coverage", "法律服务网络", network_selectors.may_view),
    ("recognitions:dashboard", "法治荣誉", lambda u: recognition_rules.can_see(rules.roles_of(u))),
    ("recognitions:bank", "e法贷核验", recognition_selectors.is_bank_desk_user),
    ("legality:board", "合法性审查", lambda u: bool(legality_rules.SEE_ROLES & rules.roles_of(u))),
    ("villages:workbench", "民主法治村", lambda u: villages_rules.can_view(rules.roles_of(u))),
    ("timebank:workbench", "时间银行", lambda u: timebank_rules.can_read(rules.roles_of(u))),
    ("web:regions", "区划与组织", rules.is_staff_member),
    ("web:audit", "审计日志", rules.can_read_audit_log),
    ("web:api_tokens", "接口令牌", rules.can_manage_api_tokens),
    ("web:notifications", "通知", rules.is_staff_member),
]


def site(request) -> dict:  # noqa: ANN001
    user = getattr(request, "user", None)
    nav = []
    region_choices = []
    current_region = None
    if user is not None and rules.is_staff_member(user):
        for name, label, predicate in STAFF_NAV:
            url = _url(name)
            if url and predicate(user):
                nav.append({"url": url, "label": label, "active": request.path.startswith(url) and url != "/"})
        # one entry is active: the one whose address matches the page the furthest (/outreach/staff/library/ is the
        # 普法资源库, not also the 普法抢单 of /outreach/staff/)
        deepest = max((e["url"] for e in nav if e["active"]), key=len, default=None)
        for entry in nav:
            entry["active"] = entry["url"] == deepest
        region_choices = list(
            selectors.regions_visible_to(user).filter(code__in=selectors.jurisdiction_codes(user))
        )
        code = request.session.get("xz_region")
        current_region = next((r for r in region_choices if r.code == code), region_choices[0] if region_choices else None)
    return {
        "site_name": "乡治",
        "county_name": "桐乡市",
        "staff_nav": nav,
        "region_choices": region_choices,
        "current_region": current_region,
        "is_staff_member": bool(nav),
        "is_citizen": rules.is_citizen(user) if user is not None else False,
    }
