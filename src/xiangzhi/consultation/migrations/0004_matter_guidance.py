"""The guidance legal workers keep per kind of matter (MatterGuidance), seeded for the common rural kinds with what a
legal worker tells a villager, each limit with the article it rests on; and each question's kinds of matter
(Question.topics). The seed is a starting point the justice bureau edits in the workbench."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MEDIATION = {"label": "申请调解", "action": "mediation",
             "detail": "在本平台申请人民调解，调解不收费（人民调解法第4条），也不影响您依法申请仲裁或起诉。"}
TALK = "先心平气和地与对方协商，把诉求和依据讲清楚，协商结果最好写成书面协议并签字。"
THREE_YEARS = ("要求赔偿的，向法院起诉的诉讼时效为3年，从知道或应当知道权利受到损害及谁应负责之日起计算；"
               "超过20年的法院不予保护（民法典第188条）。")

SEED = {
    "劳动争议": {
        "summary": "与老板或用人单位之间因工资、劳动合同、加班、辞退、社会保险、工伤待遇等发生的争议。",
        "steps": [
            {"label": "与单位协商", "detail": "带上证据与单位负责人协商，可以请工会或第三方帮忙（劳动争议调解仲裁法第4条）。"},
            {**MEDIATION, "detail": "在本平台申请人民调解（不收费，人民调解法第4条），也可以找企业劳动争议调解委员会或乡镇劳动争议"
                                    "调解组织调解（劳动争议调解仲裁法第10条）。"},
            {"label": "申请劳动仲裁", "detail": "向劳动合同履行地或单位所在地的劳动人事争议仲裁委员会书面申请（劳动争议调解仲裁法"
                                          "第21条），仲裁不收费（第53条）；大多数劳动争议要先仲裁才能起诉。"},
            {"label": "向法院起诉", "detail": "对仲裁裁决不服的，收到裁决书之日起15日内向人民法院起诉（劳动争议调解仲裁法第50条）。"},
            {"label": "投诉拖欠工资", "detail": "拖欠工资的，也可以向人力社保局劳动保障监察机构投诉。"},
        ],
        "time_limits": [
            "申请劳动仲裁的时效为1年，从知道或应当知道权利被侵害之日起计算；在职期间被拖欠工资的不受1年限制，但离职后应在"
            "1年内提出（劳动争议调解仲裁法第27条）。",
            "在工作中受伤的，单位应在30日内申请工伤认定；单位不申请的，本人、近亲属或工会可在事故发生之日起1年内向社会保险"
            "行政部门（人力社保局）申请（工伤保险条例第17条）。",
            "不服仲裁裁决的，收到裁决书之日起15日内起诉（劳动争议调解仲裁法第50条）。",
        ],
        "evidence": [
            "劳动合同，或能证明在这里干活的材料：工牌、工作服、考勤记录、工作群聊天记录、同事证言",
            "工资条、银行流水、微信或支付宝转账记录",
            "加班记录、排班表",
            "辞退通知、解除劳动合同的书面材料",
            "受伤的：病历、诊断证明、医疗费票据，事故经过的照片和证人",
        ],
        "office": "劳动人事争议仲裁委员会；人力社保局劳动保障监察机构；乡镇（街道）司法所",
    },
    "损害赔偿": {
        "summary": "被人打伤、被狗咬、在别人家里或工地上受伤等，要求对方赔偿医疗费、误工费等损失。在工作中受伤的，"
                   "同时属于劳动争议，先申请工伤认定。",
        "steps": [
            {"label": "先就医", "detail": "及时治疗，保留全部病历和票据；被打伤的立即报警。"},
            {"label": "协商赔偿", "detail": TALK},
            MEDIATION,
            {"label": "向法院起诉", "detail": "协商、调解不成的，向人民法院起诉要求赔偿医疗费、护理费、误工费等（民法典第1179条）。"},
        ],
        "time_limits": [THREE_YEARS],
        "evidence": [
            "病历、诊断证明、医疗费发票",
            "伤情照片、现场照片或视频",
            "报警回执、派出所询问笔录",
            "证人的姓名和联系方式",
            "误工证明、收入证明；需要时的伤残鉴定意见",
        ],
        "office": "村（社区）人民调解委员会；乡镇（街道）司法所；公安派出所（打架斗殴）；人民法院",
    },
    "山林土地": {
        "summary": "承包地、山林的承包经营权、流转、地界，以及征占补偿分配等纠纷。",
        "steps": [
            {"label": "协商", "detail": "可以自行和解（农村土地承包经营纠纷调解仲裁法第3条）。"},
            {**MEDIATION, "detail": "可以请村民委员会、乡镇人民政府调解（农村土地承包经营纠纷调解仲裁法第3条），也可以在本平台申请"
                                    "人民调解，调解不收费。"},
            {"label": "申请土地承包仲裁", "detail": "向县农村土地承包仲裁委员会申请仲裁（农村土地承包经营纠纷调解仲裁法第4条），"
                                              "仲裁不收费（第52条）。"},
            {"label": "向法院起诉", "detail": "也可以直接向人民法院起诉；不服仲裁裁决的，收到裁决书之日起30日内起诉（第48条）。"},
        ],
        "time_limits": [
            "申请农村土地承包经营纠纷仲裁的时效为2年，从知道或应当知道权利被侵害之日起计算（农村土地承包经营纠纷调解仲裁法第18条）。",
            "不服仲裁裁决的，收到裁决书之日起30日内向法院起诉，逾期裁决书即生效（农村土地承包经营纠纷调解仲裁法第48条）。",
        ],
        "evidence": [
            "土地承包经营权证或承包合同",
            "确权登记资料、地块四至图",
            "土地流转合同、租金收款记录",
            "村里分地、调地的记录和会议记录",
            "现场照片",
        ],
        "office": "村民委员会；乡镇人民政府；农村土地承包仲裁委员会",
    },
    "房屋宅基地": {
        "summary": "宅基地使用权、地界、建房，以及房屋买卖、分家析产等纠纷。",
        "steps": [
            {"label": "协商", "detail": TALK},
            MEDIATION,
            {"label": "申请政府处理", "detail": "宅基地使用权归属的争议，协商不成的，个人之间的由乡镇人民政府或县级人民政府处理"
                                          "（土地管理法第14条）。"},
            {"label": "向法院起诉", "detail": "不服政府处理决定的，接到决定之日起30日内起诉；房屋买卖、侵占、损害等纠纷可以直接起诉。"},
        ],
        "time_limits": [
            "不服人民政府对宅基地使用权争议的处理决定的，自接到处理决定通知之日起30日内向人民法院起诉（土地管理法第14条）。",
            THREE_YEARS,
        ],
        "evidence": [
            "宅基地使用证、不动产权证书或集体土地使用证",
            "建房审批材料",
            "界址图、四至证明、老照片",
            "房屋买卖合同、分家协议",
            "知情的老邻居、村干部等证人",
        ],
        "office": "乡镇（街道）人民政府；村民委员会；自然资源和规划部门",
    },
    "婚姻家庭": {
        "summary": "离婚、子女抚养、赡养老人、彩礼、夫妻财产、家庭暴力等纠纷。",
        "steps": [
            {"label": "家人协商", "detail": "可以请亲友、村里的长辈一起商量。"},
            {**MEDIATION, "detail": "在本平台申请人民调解，调解不收费（人民调解法第4条）；离婚纠纷也可以由有关组织调解（民法典"
                                    "第1079条）。"},
            {"label": "协议离婚登记", "detail": "双方同意离婚的，一起到婚姻登记机关申请，有30日冷静期（民法典第1077条）。"},
            {"label": "向法院起诉", "detail": "离婚、抚养费、赡养费等协商不成的，向人民法院（人民法庭）起诉。"},
            {"label": "遭受家庭暴力", "detail": "立即报警；可以向人民法院申请人身安全保护令（反家庭暴力法第23条）。"},
        ],
        "time_limits": [
            "协议离婚：登记机关收到申请之日起30日内任何一方可以撤回；期满后30日内双方应亲自申请发给离婚证，未申请的视为撤回"
            "（民法典第1077条）。",
            "请求支付抚养费、赡养费、扶养费不受诉讼时效限制（民法典第196条）。",
            "人身安全保护令：法院应在72小时内作出，情况紧急的24小时内（反家庭暴力法第28条）。",
        ],
        "evidence": [
            "结婚证、户口簿、子女出生证明",
            "房产、存款、车辆等夫妻财产的证明",
            "彩礼给付的转账记录和证人",
            "家庭暴力的报警记录、告诫书、伤情照片、病历",
            "双方的收入证明",
        ],
        "office": "村（社区）人民调解委员会、妇联；婚姻登记机关；人民法院；公安派出所（家庭暴力）",
    },
    "继承": {
        "summary": "老人去世后房屋、存款等遗产怎么分，遗嘱是否有效等纠纷。",
        "steps": [
            {"label": "继承人协商", "detail": "遗产分割的时间、办法和份额由继承人协商确定（民法典第1132条）。"},
            {**MEDIATION, "detail": "协商不成的，可以由人民调解委员会调解（民法典第1132条）；在本平台申请，调解不收费。"},
            {"label": "办理继承公证", "detail": "需要办理房屋过户、取存款的，可以到公证处办理继承公证。"},
            {"label": "向法院起诉", "detail": "调解不成的，向人民法院起诉（民法典第1132条）。"},
        ],
        "time_limits": [
            "继承开始后要放弃继承的，应在遗产处理前书面表示，没有表示的视为接受；受遗赠人应在知道受遗赠后60日内表示接受，"
            "到期没有表示的视为放弃（民法典第1124条）。",
            "继承权被侵害的，诉讼时效为3年，从知道或应当知道之日起计算；自继承开始超过20年的法院不予保护（民法典第188条）。",
        ],
        "evidence": [
            "死亡证明",
            "亲属关系证明：户口簿、出生证明、村（居）委会证明",
            "遗嘱、遗赠扶养协议",
            "遗产清单：房产证、宅基地证、存折",
            "生前赡养、照顾老人的证明",
        ],
        "office": "村（社区）人民调解委员会；公证处；人民法院",
    },
    "借贷": {
        "summary": "借钱不还、欠条、利息、担保人责任等纠纷。",
        "steps": [
            {"label": "催要并留下记录", "detail": "用短信、微信催要，保存记录；催要可以使诉讼时效重新计算（民法典第195条）。"},
            {"label": "协商", "detail": "可以商量分期还款，写成书面还款协议。"},
            MEDIATION,
            {"label": "向法院起诉", "detail": "向被告住所地或合同履行地人民法院起诉；金额小、事实清楚的可以适用小额诉讼程序。"},
        ],
        "time_limits": [
            "诉讼时效为3年（民法典第188条）；约定了还款日期的，从还款期限届满之日起计算。",
            "向对方催要（有记录）、对方同意还款或起诉、申请调解的，时效中断，重新计算（民法典第195条）。",
            "没有约定保证期间的，保证人的保证期间为主债务到期之日起6个月（民法典第692条）。",
        ],
        "evidence": [
            "借条、欠条（写明借款人、金额、日期、利息、还款日期，借款人签名按手印）",
            "转账记录、银行流水；现金交付的，取款记录和证人",
            "催款的短信、微信聊天记录、录音",
            "担保人签字的担保书",
            "对方的身份信息和住址",
        ],
        "office": "村（社区）人民调解委员会；人民法院",
    },
    "邻里": {
        "summary": "通行、排水、采光、建房影响、树木、噪音、口角等邻里之间的纠纷。",
        "steps": [
            {"label": "当面沟通", "detail": "按有利生产、方便生活、团结互助、公平合理的原则处理相邻关系（民法典第288条）。"},
            {"label": "请人帮忙说和", "detail": "可以请村干部、网格员或德高望重的乡贤帮忙调和。"},
            MEDIATION,
            {"label": "防止冲突升级", "detail": "发生打架或可能动手的，立即报警。"},
            {"label": "向法院起诉", "detail": "调解不成的，可以向人民法院起诉要求排除妨碍、赔偿损失。"},
        ],
        "time_limits": [
            "要求停止侵害、排除妨碍、消除危险的，不受诉讼时效限制（民法典第196条）。",
            THREE_YEARS,
        ],
        "evidence": [
            "现场照片和视频（注明日期）",
            "受损财物的照片和修理费用票据",
            "双方沟通的聊天记录",
            "村干部、邻居等证人",
            "房屋、宅基地的权属证明",
        ],
        "office": "村（社区）人民调解委员会、网格员；乡镇（街道）司法所",
    },
    "道路交通事故": {
        "summary": "被车撞伤、开车撞了人、车辆碰擦后的赔偿等纠纷。",
        "steps": [
            {"label": "报警并保护现场", "detail": "立即拨打122报警，抢救伤员，保护现场，通知保险公司。"},
            {"label": "拿到事故认定书", "detail": "交警根据现场勘查制作《道路交通事故认定书》，作为处理事故的证据（道路交通安全法第73条）。"},
            {**MEDIATION, "detail": "赔偿可以请交警调解（道路交通安全法第74条），也可以在本平台申请交通事故人民调解，调解不收费。"},
            {"label": "向法院起诉", "detail": "也可以直接向人民法院起诉要求赔偿（道路交通安全法第74条）。"},
        ],
        "time_limits": [
            "对事故认定书有异议的，自送达之日起3日内向上一级公安机关交通管理部门书面申请复核（道路交通事故处理程序规定第71条）。",
            THREE_YEARS,
        ],
        "evidence": [
            "道路交通事故认定书",
            "现场照片、行车记录仪或监控视频",
            "对方驾驶证、行驶证、车牌号和保险单信息",
            "病历、医疗费票据、误工证明",
            "车辆定损单、维修票据",
        ],
        "office": "公安交警部门；交通事故人民调解委员会；保险公司；人民法院",
    },
    "村务": {
        "summary": "村务公开、集体资产和收益分配、村民会议决定、村干部履职等方面的问题。",
        "steps": [
            {"label": "向村委会询问", "detail": "村民委员会实行村务公开，可以要求公布有关事项（村民委员会组织法第30条）。"},
            {"label": "向村务监督委员会反映", "detail": "村务监督委员会负责村务公开等制度落实的监督（村民委员会组织法第32条）。"},
            {"label": "向乡镇政府反映", "detail": "不及时公布或公布不真实的，可以向乡镇人民政府反映，由其调查核实、责令公布（村民委员会"
                                          "组织法第31条）。"},
            {"label": "申请法院撤销", "detail": "村民委员会或其成员作出的决定侵害村民合法权益的，可以申请人民法院撤销（村民委员会组织法"
                                          "第36条）。"},
            MEDIATION,
        ],
        "time_limits": [
            "村务公开：一般事项至少每季度公布一次；集体财务往来较多的，财务收支每月公布一次；涉及村民利益的重大事项随时公布"
            "（村民委员会组织法第30条）。",
        ],
        "evidence": [
            "村务公开栏的照片",
            "村民会议、村民代表会议的通知和记录",
            "集体收益分配方案、补偿款发放记录",
            "向村里、乡镇反映的书面材料和答复",
        ],
        "office": "村民委员会、村务监督委员会；乡镇（街道）人民政府",
    },
}


def seed(apps, schema_editor):  # noqa: ANN001, ARG001
    MatterGuidance = apps.get_model("consultation", "MatterGuidance")
    for kind, g in SEED.items():
        steps = [{"label": s["label"], "detail": s.get("detail", ""), "action": s.get("action", "")} for s in g["steps"]]
        MatterGuidance.objects.get_or_create(kind=kind, defaults={
            "summary": g["summary"], "steps": steps, "time_limits": g["time_limits"], "evidence": g["evidence"],
            "office": g["office"]})


class Migration(migrations.Migration):

    dependencies = [
        ('consultation', '0003_retrieval_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='question',
            name='topics',
            field=models.JSONField(blank=True, default=list, verbose_name='纠纷类型'),
        ),
        migrations.CreateModel(
            name='MatterGuidance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=20, unique=True, verbose_name='纠纷类型')),
                ('summary', models.TextField(blank=True, verbose_name='说明')),
                ('steps', models.JSONField(blank=True, default=list, verbose_name='下一步怎么办')),
                ('time_limits', models.JSONField(blank=True, default=list, verbose_name='时限')),
                ('evidence', models.JSONField(blank=True, default=list, verbose_name='要保存的证据')),
                ('office', models.CharField(blank=True, max_length=300, verbose_name='办理机构')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '办事指引',
                'verbose_name_plural': '办事指引',
                'ordering': ['kind'],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
