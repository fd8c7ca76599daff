"""Chinese labels of the audit log's action codes and object types, for the people who read the log (审计日志).

One table for the whole code base: the codes are plain strings written by ``core.services.audit`` and by each app's
``record()``, so the table names them without importing any app. A code missing here reads as itself (the log still
shows it); tests/core/test_audit_labels.py finds every code the source emits and fails on one without a label.
Object types are model labels (``recognitions.bankcheck``): they read as the model's verbose name, else as this
table's, else as the code."""

from __future__ import annotations

from django.apps import apps

ACTION_LABELS: dict[str, str] = {
    # accounts, organisations, regions, personal data
    "user.created": "创建账号",
    "user.login": "登录",
    "user.login_failed": "登录失败",
    "user.locked": "账号锁定",
    "user.password_changed": "修改密码",
    "user.totp_enabled": "启用动态口令",
    "citizen.registered": "村民注册",
    "membership.added": "添加岗位",
    "organisation.created": "创建组织",
    "person.created": "登记人员信息",
    "personal.text_numbers_revealed": "查看文书中的证件号码",
    "api_token.issued": "签发接口令牌",
    "api_token.revoked": "吊销接口令牌",
    "region.load": "导入行政区划",
    "region.renamed": "区划更名",
    "region.merged": "区划合并",
    "region.grid_added": "新增网格",
    "calendar.loaded": "导入工作日历",
    "demo.year": "生成演示年度数据",
    "ledger.state_baseline": "区块链存证：状态基线",
    # 桐解码 disputes
    "case.created": "登记纠纷",
    "case.transition": "案件状态变更",
    "case.retriaged": "重新分流",
    "case.assignment_confirmed": "确认承办",
    "case.conflict_declared": "申报利益冲突",
    "case.recusal_requested": "申请回避",
    "case.recusal_decided": "回避决定",
    "case.repeat_linked": "关联重复纠纷",
    "case.attachment_added": "上传附件",
    "case.party_details": "更新当事人情况",
    "case.party_noticed": "通知当事人",
    "case.rights_served": "送达权利义务告知书",
    "case.consent": "被申请人答复是否同意调解",
    "case.consent_recorded": "记录当事人调解意愿",
    "case.investigation_recorded": "记录调查情况",
    "case.session_recorded": "记录调解过程",
    "case.mediation_extended": "延长调解期限",
    "case.signed": "当事人签名",
    "case.sealed": "调解协议盖章",
    "case.agreement_effective": "调解协议生效",
    "case.agreement_revised": "修改调解协议",
    "case.document_generated": "生成文书",
    "case.document_downloaded": "下载文书",
    "case.casefile_built": "生成卷宗",
    "case.filed": "立卷归档",
    "case.exported": "导出案件",
    "case.feedback": "当事人评价",
    "case.follow_up_visit": "回访",
    "case.not_performed": "协议未履行",
    "case.handover": "移交",
    "case.joint_invited": "邀请联动协办",
    "case.joint_answered": "联动单位答复",
    "case.joint_returned": "联动协办退回",
    "case.judicial_applied": "申请司法确认",
    "case.judicial_accepted": "司法确认：法院已受理",
    "case.judicial_confirmed": "司法确认：裁定确认有效",
    "case.judicial_rejected": "司法确认：裁定驳回",
    "case.judicial_not_accepted": "司法确认：法院不予受理",
    "case.risk_raised": "风险等级上调",
    "case.risk_reported": "上报风险",
    "case.import_queued": "历史案件导入排队",
    "case.import_requeued": "历史案件导入重新排队",
    "case.import_refused": "历史案件导入被拒绝",
    "case.import_failed": "历史案件导入失败",
    "case.imported": "导入历史案件",
    # 研判
    "insights.case_flags": "研判：标记案件",
    "insights.screening": "研判：风险筛查",
    "insights.warning_opened": "发出预警",
    "insights.warning_acknowledged": "签收预警",
    # 智能咨询
    "consultation.claim": "认领咨询",
    "consultation.reply": "答复咨询",
    "consultation.demand_exported": "导出咨询需求",
    "consultation.load_laws": "导入法律法规",
    "consultation.mark_law": "标注法条",
    "consultation.save_faq": "保存常见问题",
    "consultation.review_faq": "审核常见问题",
    "consultation.save_guidance": "保存办事指引",
    "consultation.save_rewrite": "保存问法改写",
    "consultation.purge_expired": "清除过期咨询记录",
    # 精准普法
    "outreach.fired": "触发普法预警",
    "outreach.claimed": "抢单",
    "outreach.unclaimed": "放弃抢单",
    "outreach.claim_expired": "抢单超时",
    "outreach.released": "释放求助",
    "outreach.answered": "答复求助",
    "outreach.published": "发布答复",
    "outreach.rejected": "退回答复",
    "outreach.case_nominated": "推荐为典型案例",
    "outreach.jury_scored": "评审打分",
    "outreach.voted": "群众投票",
    "outreach.vote_rate_limited": "投票过于频繁",
    "outreach.save_rule": "保存推送规则",
    "outreach.specialities": "设置擅长领域",
    "outreach.item_created": "新建普法资源",
    "outreach.item_edited": "编辑普法资源",
    "outreach.item_media_attached": "上传普法资源音视频",
    "outreach.item_published": "上架普法资源",
    "outreach.item_unpublished": "下架普法资源",
    # 时间银行
    "timebank.volunteer.registered": "志愿者注册",
    "timebank.volunteer.consent": "志愿者授权",
    "timebank.activity.proposed": "申报志愿服务",
    "timebank.activity.recorded": "登记志愿服务",
    "timebank.activity.verified": "核实志愿服务",
    "timebank.activity.rejected": "退回志愿服务",
    "timebank.item.saved": "保存兑换项目",
    "timebank.redeemed": "兑换",
    "timebank.transfer.credit": "时间入账",
    "timebank.transfer.redemption": "时间兑换扣减",
    "timebank.transfer.donation": "时间转赠",
    "timebank.transfer.reversal": "时间冲正",
    # 法律明白人 / 法治带头人 / 学法用法示范户, e法贷
    "recognitions.nominated": "法治荣誉：提名",
    "recognitions.town_reviewed": "法治荣誉：乡镇审查通过",
    "recognitions.in_notice": "法治荣誉：开始公示",
    "recognitions.approved": "法治荣誉：县级审定通过",
    "recognitions.registered": "法治荣誉：登记发证",
    "recognitions.rejected": "法治荣誉：未通过",
    "recognitions.revocation_proposed": "法治荣誉：提出撤销",
    "recognitions.revocation_reviewed": "法治荣誉：撤销乡镇审查通过",
    "recognitions.revocation_notice": "法治荣誉：撤销公示",
    "recognitions.revoked": "法治荣誉：撤销",
    "recognitions.objection_raised": "法治荣誉：公示异议",
    "recognitions.objection_answered": "法治荣誉：答复异议",
    "recognitions.training_recorded": "法治荣誉：登记培训考核",
    "recognitions.quota_set": "法治荣誉：设定名额",
    "recognitions.consent_created": "e法贷：村民生成授权码",
    "recognitions.bank_checked": "e法贷：银行核验资格",
    "recognitions.check_refused": "e法贷：授权码无效被拒",
    "recognitions.loan_recorded": "e法贷：登记放款",
    # 民主法治村
    "villages.plan_created": "民主法治村：创建计划",
    "villages.task_added": "民主法治村：新增任务",
    "villages.task_done": "民主法治村：完成任务",
    "villages.evidence_added": "民主法治村：上传佐证材料",
    "villages.applied": "民主法治村：申报",
    "villages.withdrawn": "民主法治村：撤回申报",
    "villages.standard_saved": "民主法治村：保存评价标准",
    "villages.assessors_assigned": "民主法治村：指派评审人",
    "villages.scored": "民主法治村：评分",
    "villages.assessed": "民主法治村：评审完成",
    "villages.reviewed": "民主法治村：复核",
    "villages.improvement_planned": "民主法治村：整改计划",
    "villages.named": "民主法治村：命名",
    "villages.title_registered": "民主法治村：登记称号",
    # 合法性审查
    "legality.submitted": "合法性审查：报送",
    "legality.assigned": "合法性审查：分派",
    "legality.opinion": "合法性审查：出具意见",
    "legality.revised": "合法性审查：修改后重报",
    "legality.issued": "合法性审查：印发",
    "legality.overdue": "合法性审查：逾期",
    # 公共法律服务网络
    "network.site_created": "法律服务网络：新建站点",
    "network.team_created": "法律服务网络：新建服务团",
    "network.adviser_created": "法律服务网络：登记法律顾问",
    "network.adviser_assigned": "法律服务网络：指派法律顾问",
    "network.adviser_unassigned": "法律服务网络：取消指派",
    "network.adviser_mobile_revealed": "法律服务网络：查看顾问手机号",
    "network.duty_set": "法律服务网络：排班",
    "network.service_logged": "法律服务网络：登记服务",
    "network.terminal_registered": "法律服务网络：登记终端",
    "network.terminal_token_rotated": "法律服务网络：更换终端令牌",
    "network.visits_imported": "法律服务网络：导入来访记录",
}

# Object types that are not model labels, and models that have no verbose name of their own.
OBJECT_LABELS: dict[str, str] = {
    "core.regionchange": "区划变更",
    "core.onetimecode": "验证码",
    "core.ratecounter": "频率计数",
    "core.idempotencykey": "幂等键",
    "core.periodicjob": "定时任务",
    "timebank.movement": "时间账户流水",
    "disputes.casecounter": "案件编号计数",
    "disputes.timelineevent": "案件时间线",
    "disputes.filecounter": "卷宗编号计数",
    "disputes.signature": "签名",
    "disputes.seal": "印章",
    "disputes.caseclock": "案件期限",
    "disputes.mediationextension": "调解延期",
    "disputes.extensionconsent": "延期同意",
    "disputes.mediatorconflict": "利益冲突申报",
    "disputes.recusalrequest": "回避申请",
    "disputes.riskreport": "风险报告",
    "disputes.jointtask": "联动协办任务",
    "disputes.jointreply": "联动单位答复",
    "disputes.handover": "移交记录",
    "disputes.feedback": "当事人评价",
    "disputes.followupvisit": "回访记录",
    "disputes.judicialconfirmation": "司法确认",
    "disputes.importjob": "历史案件导入任务",
    "insights.dirtycase": "待重算案件",
    "insights.casefact": "案件研判数据",
    "insights.summarycell": "统计汇总",
    "insights.summarystate": "统计汇总状态",
    "outreach.rulestate": "推送规则状态",
    "outreach.alertevent": "求助时间线",
    "outreach.answer": "普法答复",
    "outreach.lesson": "普法课件",
    "outreach.comicpage": "普法漫画页",
    "outreach.vote": "群众投票",
    "network.terminalvisit": "终端使用记录",
    "network.codescan": "有法码扫码记录",
    "recognitions.event": "法治荣誉时间线",
    "recognitions.trainingrecord": "培训考核记录",
    "recognitions.consentcode": "e法贷授权码",
    "legality.version": "送审稿版本",
    "legality.opinion": "审查意见",
    "legality.event": "合法性审查时间线",
    "villages.scoresheet": "评分表",
    "villages.scoreline": "评分项",
    "villages.improvement": "整改计划",
    "villages.review": "复核记录",
    "villages.creationevent": "民主法治村创建时间线",
    "calendar": "工作日历",
    "case_list": "案件列表",
    "consult_demand": "咨询需求",
    "consultation.law": "法律法规",
    "consultation.retention": "咨询记录保存期限",
    "demo.year": "演示年度数据",
}


def action_label(code: str) -> str:
    """The Chinese name of an audit action; an unknown code reads as itself."""
    return ACTION_LABELS.get(code, code)


def object_label(object_type: str) -> str:
    """The Chinese name of an audited object's type: the model's verbose name, this module's table, or the code."""
    if object_type in OBJECT_LABELS:
        return OBJECT_LABELS[object_type]
    if object_type.count(".") == 1:
        try:
            meta = apps.get_model(object_type)._meta
        except (LookupError, ValueError):
            return object_type
        if "verbose_name" in meta.original_attrs:  # else Django made one up from the class name, in English
            return str(meta.verbose_name)
    return object_type


def actions_labelled(text: str) -> list[str]:
    """The codes whose label contains ``text`` (the log's filter takes a Chinese word as well as a code prefix)."""
    return sorted(code for code, label in ACTION_LABELS.items() if text and text in label)
