"""Wording for synthetic records: names, finding descriptions, summaries, lead texts.

Everything here is invented. Institution names always end in “（虚构）”; no text names a real
person or carries a telephone, identity or bank number. The violation wording follows the
documents in ``shared/reference/seeds`` (克拉玛依区 2024 采购需求方案, 沙坪坝区 2020 通知).

Templates use ``str.format`` slots filled by ``InspectionsMixin._slots`` in :mod:`.inspections`
for one institution: ``{n}`` a count of records or people, ``{m}`` a smaller count, ``{times}`` a
count of charges, ``{days}`` a number of days, ``{sales}`` purchases that add up to the amount,
``{amount}`` money in yuan (2 decimals), ``{year}`` the year before the contract year; services the
hospital offers (:data:`SERVICES_BY_CATEGORY`): ``{item}`` any, ``{test}``/``{test2}`` two
examinations or tests, ``{lab}`` a laboratory test, ``{treatment}``, a dearer service billed for
the one done (``{swap_done}``, ``{swap_billed}``, ``{not_covered}``), a service and one its price
includes (``{included_in}``, ``{included}``), an unbundling (``{split}``); ``{drug}``, ``{cons}``
a consumable (what a pharmacy sells, at a pharmacy) and ``{goods}`` daily goods (pharmacies only).
A template whose slots cannot be filled for an institution is not used for it.
"""
from __future__ import annotations

# -- places and names ---------------------------------------------------------------------------
#: Syllables for fictional region names (generated repositories; the demo uses 克拉玛依区).
REGION_FIRST = "青石云金银泉沙柳杏松桦苇盐玉雁鹿湖川河湾塬坪梅棠槐枫"
REGION_SECOND = "溪泉湾滩坪川岗桥塘源林原岭峪堡台"
CITY_NAMES = ("青河", "沙湾", "玉川", "金塬", "雁北", "石桥", "柳林", "云岭", "松原", "梅溪",
              "泉山", "湖阳", "鹿野", "棠川", "枫林")

STREETS = ("银杏", "石榴", "白杨", "胡杨", "红柳", "沙枣", "榆树", "丁香", "玫瑰", "雪松", "金桥", "迎宾",
           "昆仑", "天池", "长征", "和平", "幸福", "光明", "朝阳", "团结", "建设", "文化", "民主", "新华",
           "福源", "北苑", "南湖", "西城", "东湖", "安居", "康乐", "静园", "碧水", "青松", "百合", "向阳",
           "丰收", "油城", "锦绣", "明珠", "祥和", "世纪", "育才", "滨河", "翠园", "友好", "康宁", "瑞祥")
STREET_SUFFIXES = ("路", "街", "社区", "小区", "花园")
BRANDS = ("康宁", "福泽", "益寿", "仁心", "济安", "泰和", "瑞康", "惠民", "安康", "德仁", "广济", "佳禾",
          "润生", "华信", "百益", "春和", "元康", "本草源", "众益", "永泰", "天和源", "丰泽", "恒康", "寿星坊")
HOSPITAL_BRANDS = ("仁爱", "康泰", "博爱", "济民", "协和康", "安和", "同心", "怡康", "德济", "华康", "益民", "惠仁")
CONTRACTORS = ("瀚海", "长风", "青禾", "明鉴", "正衡", "致远", "北辰", "启明", "衡正", "和鉴", "弘信", "清源")

#: Hospital kinds: (category, name pattern, inpatient share, records per year (low, high),
#: inpatient stays per year (low, high), USCC registration prefix, weight).
HOSPITAL_KINDS = (
    ("社区卫生服务中心", "{district}{street}社区卫生服务中心（虚构）", 0.5, (3000, 12000), (150, 900), "12", 5),
    ("社区卫生服务站", "{district}{street}社区卫生服务站（虚构）", 0.0, (1200, 5000), (0, 0), "12", 5),
    ("民营医院", "{city}{brand}医院（虚构）", 1.0, (2500, 9000), (400, 1800), "52", 3),
    ("中医医院", "{city}{brand}中医医院（虚构）", 0.5, (2000, 7000), (200, 900), "52", 2),
    ("康复医院", "{city}{brand}康复医院（虚构）", 1.0, (1500, 5000), (300, 1200), "52", 1),
    ("门诊部", "{city}{brand}门诊部（虚构）", 0.0, (2000, 8000), (0, 0), "52", 2),
)
#: Hospital kinds only seen in generated county regions (乡镇卫生院) and larger hospitals.
TOWNSHIP_KIND = ("乡镇卫生院", "{district}{street}镇卫生院（虚构）", 0.9, (2500, 8000), (300, 1500), "12", 3)
GENERAL_KIND = ("综合医院", "{city}{brand}综合医院（虚构）", 1.0, (20000, 60000), (3000, 12000), "12", 0)

PHARMACY_CHAIN = "{brand}大药房{street}店（虚构）"
PHARMACY_SINGLE = "{district}{street}{brand}药店（虚构）"
AGENCY_NAME = "{district}医疗保障事务中心（虚构）"

# -- service items, drugs, goods ------------------------------------------------------------------
#: Service items by group: laboratory tests (done on an analyser), other examinations,
#: treatments, TCM techniques (中医适宜技术) and rehabilitation therapies.
SERVICES: dict[str, tuple[str, ...]] = {
    "lab": ("血常规", "尿常规", "肝功能", "肾功能", "血脂四项", "糖化血红蛋白", "C反应蛋白"),
    "exam": ("心电图", "腹部B超", "胸部DR", "快速血糖测定"),
    "treatment": ("静脉输液", "肌肉注射", "雾化吸入", "换药", "清创缝合", "氧气吸入"),
    "tcm": ("针灸", "推拿", "拔罐", "艾灸", "中药熏蒸"),
    "rehab": ("中频脉冲电治疗", "红外线治疗", "康复训练", "颈椎牵引"),
}
#: What each kind of hospital offers (groups of :data:`SERVICES`; a station or a clinic without
#: wards offers fewer). A finding names only services its institution offers.
SERVICES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "社区卫生服务中心": ("lab", "exam", "treatment", "tcm", "rehab"),
    "社区卫生服务站": ("exam", "treatment", "tcm"),
    "民营医院": ("lab", "exam", "treatment", "rehab"),
    "中医医院": ("lab", "exam", "treatment", "tcm", "rehab"),
    "康复医院": ("exam", "treatment", "tcm", "rehab"),
    "门诊部": ("lab", "exam", "treatment"),
    "乡镇卫生院": ("lab", "exam", "treatment", "tcm"),
    "综合医院": ("lab", "exam", "treatment", "tcm", "rehab"),
}
#: Billing one service as a dearer one of the same group, as the published typical cases describe
#: (套用、串换、比照): (service done, service billed, group).
SWAPS = (
    ("快速血糖测定", "血清葡萄糖测定", "exam"), ("尿常规", "尿沉渣定量分析", "lab"),
    ("腹部B超", "腹部彩色多普勒超声", "exam"), ("普通换药", "大换药", "treatment"),
    ("雾化吸入", "超声雾化吸入", "treatment"), ("普通针刺", "电针", "tcm"), ("拔罐", "药物罐", "tcm"),
    ("艾灸", "隔物灸", "tcm"), ("红外线治疗", "中频脉冲电治疗", "rehab"), ("手法牵引", "电动颈椎牵引", "rehab"),
)
#: Services whose price already covers another (重复收费): (service, what it includes, group).
INCLUDED = (
    ("清创缝合", "换药", "treatment"), ("静脉输液", "静脉注射", "treatment"), ("雾化吸入", "氧气吸入", "treatment"),
    ("肝功能", "谷丙转氨酶测定", "lab"), ("血脂四项", "总胆固醇测定", "lab"), ("电针", "普通针刺", "tcm"),
    ("中药熏蒸", "中药湿敷", "tcm"), ("康复训练", "康复评定", "rehab"),
)
#: Unbundling (分解收费): how one priced service was billed as several, by group.
SPLITS = (
    ("将“肝功能”组合检验拆分为谷丙转氨酶、谷草转氨酶等单项分别计费", "lab"),
    ("将“血脂四项”拆分为总胆固醇、甘油三酯等单项分别计费", "lab"),
    ("将“清创缝合”拆分为清创术和缝合术分别计费", "treatment"),
    ("将一次“针灸”按穴位数拆分为多次计费", "tcm"),
    ("将一次“颈椎牵引”按部位拆分为多次计费", "rehab"),
)
#: Services outside the insurance's payment scope, billed under a covered item of the group.
NOT_COVERED = {"lab": "健康体检项目", "exam": "健康体检项目", "treatment": "美容护理项目", "tcm": "养生保健项目",
               "rehab": "保健理疗项目"}
DRUGS = ("阿莫西林胶囊", "头孢克肟片", "布洛芬缓释胶囊", "复方丹参滴丸", "阿托伐他汀钙片", "苯磺酸氨氯地平片",
         "二甲双胍片", "奥美拉唑肠溶胶囊", "银杏叶提取物注射液", "丹红注射液", "甲钴胺片", "血塞通注射液",
         "蒙脱石散", "硝苯地平控释片", "氯吡格雷片", "胰岛素注射液", "复方甘草片", "维生素B12注射液")
#: What a retail pharmacy sells: no drugs given by drip or by a nurse's injection (insulin is
#: injected by the patient), no ward consumables.
PHARMACY_DRUGS = tuple(d for d in DRUGS if not d.endswith("注射液") or d == "胰岛素注射液")
CONSUMABLES = ("一次性输液器", "医用敷料", "静脉留置针", "一次性注射器", "导尿包", "血糖试纸", "医用胶带", "弹力绷带")
PHARMACY_CONSUMABLES = ("医用敷料", "一次性注射器", "血糖试纸", "医用胶带", "弹力绷带")
DAILY_GOODS = ("洗发水", "护肤霜", "面膜", "牙膏", "保健食品", "食用油", "洗衣液", "驱蚊液", "沐浴露", "奶粉")

# -- findings: violation type -> templates ---------------------------------------------------------
#: A template is used only where its slots can be filled for the institution (``{lab}`` needs a
#: hospital with a laboratory, ``{tcm}`` one that offers TCM techniques …) and, when it speaks of
#: 住院 (in-patients), only for a hospital with wards.
FINDINGS: dict[str, tuple[str, ...]] = {
    "分解收费": (
        "抽审病历中有{n}份{split}，违反医疗服务价格项目规范，涉及医保基金{amount}元。",
    ),
    "超标准收费": (
        "{item}收费高于本地医疗服务价格标准，{n}人次超标准收费，涉及医保基金{amount}元。",
        "{cons}结算价格高于采购价格，未执行零差率销售，涉及医保基金{amount}元。",
    ),
    "重复收费": (
        "收取“{included_in}”的同时另收已包含在其项目内涵中的“{included}”，重复收费{n}人次，涉及医保基金{amount}元。",
        "同一次{test}在门诊和住院结算中各收取一次，重复收费{n}笔，涉及医保基金{amount}元。",
    ),
    "套用项目收费": (
        "将不属于医保支付范围的{not_covered}套用为“{swap_billed}”收费，{n}人次，涉及医保基金{amount}元。",
        "{swap_done}套用“{swap_billed}”项目编码结算，收费标准高于实际服务，{n}人次，涉及医保基金{amount}元。",
    ),
    "串换项目收费": (
        "将{swap_done}串换为“{swap_billed}”收费，{n}人次，涉及医保基金{amount}元。",
        "将目录外药品串换为{drug}结算，串换{n}笔，涉及医保基金{amount}元。",
    ),
    "比照项目收费": (
        "新开展的服务无对应收费项目，自行比照“{swap_billed}”收费，{n}人次，涉及医保基金{amount}元。",
    ),
    "超量收费": (
        "{treatment}收费数量大于医嘱执行数量，抽审{n}份病历中多收{times}次，涉及医保基金{amount}元。",
        "{cons}计费数量超过治疗记录中的实际使用数量，{n}份病历多计{times}个，涉及医保基金{amount}元。",
    ),
    "不合理诊疗": (
        "{n}份病历存在无指征使用{drug}、无指征开展{treatment}等不合理诊疗行为，涉及医保基金{amount}元。",
        "对门诊慢性病患者常规开展{test}，病程记录中缺乏病情依据，{n}人次，涉及医保基金{amount}元。",
    ),
    "挂床住院": (
        "查房时{m}名登记在院患者不在病房，床头卡与实际不符，存在挂床住院，涉及医保基金{amount}元。",
        "住院病历显示患者住院期间仅有{treatment}等简单治疗，护理记录连续{days}天无生命体征记录，疑似挂床住院，涉及医保基金{amount}元。",
    ),
    "换串药品和耗材": (
        "{cons}实际领用数量与结算数量不符，以{cons}名义结算其他耗材，涉及医保基金{amount}元。",
        "药房出库记录与结算明细不一致，将{drug}以其他药品名义结算{n}笔，涉及医保基金{amount}元。",
    ),
    "诱导住院": (
        "以“免费体检”“住院返现”等方式吸引参保人员住院，核查{n}份病历入院指征不足，涉及医保基金{amount}元。",
        "{m}名患者入院时各项检查结果正常，病历中无入院指征记录，疑似诱导住院，涉及医保基金{amount}元。",
    ),
    "虚构医疗服务": (
        "医嘱和治疗记录中无{treatment}执行记录，却按{times}次收费，虚构医疗服务{n}人次，涉及医保基金{amount}元。",
        "治疗登记本中{treatment}的治疗人次少于结算人次，差额{times}人次，涉及医保基金{amount}元。",
    ),
    "伪造医疗文书票据": (
        "{n}份病历的检查报告单与设备原始记录无法对应，存在补写、涂改医疗文书情况，涉及医保基金{amount}元。",
        "{m}份住院病历的医嘱单为事后统一补签，签名笔迹与当日值班记录不符，涉及医保基金{amount}元。",
    ),
    "倒刷医保卡": (
        "同一参保人员在{days}天内多次刷卡结算且无就诊记录，疑似倒刷医保卡，涉及{n}笔结算、医保基金{amount}元。",
    ),
    "特殊病种诊断认定": (
        "{m}名门诊特殊病种患者的认定材料缺少必要的检查结果，诊断依据不足即纳入特殊病种待遇，涉及医保基金{amount}元。",
    ),
    "超量用药": (
        "{drug}单张处方用量超过{days}日常用量，{n}张处方超量开药，涉及医保基金{amount}元。",
    ),
    "重复用药": (
        "同一患者同时使用{drug}和作用机制相同的同类药品，重复用药{n}人次，涉及医保基金{amount}元。",
    ),
    "超范围用药": (
        "{drug}超出医保限定支付范围使用，{n}份病历不符合限定条件仍由医保基金支付，涉及医保基金{amount}元。",
    ),
    "过度检查": (
        "门诊患者常规同时开具{test}和{test2}，与诊断关联性不强，过度检查{n}人次，涉及医保基金{amount}元。",
    ),
    "过度治疗": (
        "对轻症患者连续{days}天安排{treatment}，疗程明显超出诊疗规范，{n}人次，涉及医保基金{amount}元。",
    ),
    "捆绑式检查": (
        "将{test}、{test2}等项目打包开具，未按病情选择检查项目，{n}人次，涉及医保基金{amount}元。",
    ),
    "假病人": (
        "核实发现{m}名“住院患者”住院期间在外正常活动，存在冒名、虚假住院，涉及医保基金{amount}元。",
    ),
    "假病情": (
        "{n}份病历诊断与检查结果不符，夸大病情以满足住院条件，涉及医保基金{amount}元。",
    ),
    "假票据": (
        "报销材料中的{m}张票据与本机构收费系统记录不一致，疑似虚开票据，涉及医保基金{amount}元。",
    ),
    "假检测": (
        "检验仪器原始数据中无{lab}检测记录，却出具检测报告并收费{n}人次，涉及医保基金{amount}元。",
    ),
    "假透析": (
        "透析记录与设备运行记录不符，虚记透析{times}次，涉及医保基金{amount}元。",
    ),
    "虚构药品耗材购销存数据": (
        "{drug}进销存台账显示销售数量大于购进与库存之和，差额{times}盒，存在虚构购销存数据，涉及医保基金{amount}元。",
        "{cons}购进发票数量少于医保结算数量，差额{times}个，购销存数据不能闭合，涉及医保基金{amount}元。",
    ),
    "聚敛倒刷医保卡": (
        "店内留存{m}名参保人员的医保凭证，由营业员代为集中刷卡购药，存在聚敛倒刷医保卡行为，涉及医保基金{amount}元。",
        "结算数据显示同一时段内连续为{n}名参保人员刷卡，购药品种和金额高度一致，疑似聚敛医保卡集中刷卡，涉及医保基金{amount}元。",
    ),
    "诱导参保人员购买生活用品及化妆品": (
        "店内陈列{goods}等非医保商品，以药品名义通过医保结算{sales}笔，涉及医保基金{amount}元。",
        "营业员以“医保个人账户余额年底清零”为由诱导参保人员购买{goods}，结算{sales}笔，涉及医保基金{amount}元。",
    ),
    "其他违法违规行为": (
        "医保药品未按规定实行进销存管理，部分{drug}无购进票据，涉及医保基金{amount}元。",
        "医保管理制度未上墙，未在醒目位置公示医保药品价格和举报渠道，医保结算岗位人员未经培训上岗。",
    ),
    "制度审核不全": (
        "抽审的手工报销申报材料中，有{m}份缺少转诊或异地就医备案材料，初审、复核签字不全，审核制度执行不到位。",
    ),
    "违规支付医保费用": (
        "{m}份手工报销申报材料中包含不属于医保支付范围的{not_covered}费用，经办机构仍予支付，涉及医保基金{amount}元。",
    ),
    "内审制度不健全": (
        "内控部门未按季度开展内部审核，{year}年度内审报告缺失，风险点识别和防控措施未形成书面制度。",
    ),
    "基金稽核不全面": (
        "对定点医药机构的年度稽核覆盖面不足，{m}家机构近两年未开展稽核。",
    ),
    "履约检查不到位": (
        "对定点医药机构服务协议履行情况的检查记录不完整，{m}家机构年度考核资料缺失。",
    ),
    "违规办理医保待遇": (
        "{m}笔待遇资格认定材料不全即办理医保待遇，涉及医保基金{amount}元。",
    ),
    "违规拖欠定点医药机构费用": (
        "对{m}家定点医药机构的结算费用未按协议约定时限拨付，最长逾期{days}天。",
    ),
}

#: Templates for one kind of institution that replace the general ones of a violation type.
FINDINGS_FOR: dict[tuple[str, str], tuple[str, ...]] = {
    ("其他违法违规行为", "医保经办机构"): (
        "经办服务窗口未公示医保经办事项、办理时限和投诉举报渠道，{m}笔业务超出承诺时限办理。",
    ),
}

#: Relative frequency of violation types in findings and cases (unlisted types: 1).
VIOLATION_WEIGHTS: dict[str, int] = {
    "分解收费": 8, "超标准收费": 7, "重复收费": 9, "串换项目收费": 7, "套用项目收费": 5, "超量收费": 4,
    "不合理诊疗": 9, "挂床住院": 4, "超量用药": 5, "重复用药": 4, "超范围用药": 6, "过度检查": 6,
    "过度治疗": 3, "伪造医疗文书票据": 2, "虚构医疗服务": 3, "换串药品和耗材": 3, "诱导住院": 2,
    "特殊病种诊断认定": 2, "捆绑式检查": 3, "倒刷医保卡": 1, "假病人": 1, "假病情": 1, "假票据": 1,
    "假检测": 1, "假透析": 0, "虚构药品耗材购销存数据": 4, "聚敛倒刷医保卡": 5,
    "诱导参保人员购买生活用品及化妆品": 6, "其他违法违规行为": 3, "制度审核不全": 4, "违规支付医保费用": 4,
    "内审制度不健全": 2, "基金稽核不全面": 2, "履约检查不到位": 2, "违规办理医保待遇": 1,
    "违规拖欠定点医药机构费用": 1, "虚假参保": 0, "虚假缴费": 0,
    "人证不符": 3, "协助参保人变现": 2, "冒卡（名）就医": 4, "空刷医保卡": 3, "套取和倒卖药品及耗材": 3,
    "变卖医保结算的药品或诊疗项目": 3, "伪造医疗文书骗取医保待遇": 2, "串通服务机构串换医保项目": 2,
}

EVIDENCE = (
    "现场调取的{doc}复印件及医保结算明细，已由被检查机构负责人签字确认并装订入卷。",
    "检查人员现场拍摄的{doc}照片和询问笔录，存入项目内部案卷。",
    "医保结算系统导出的明细数据与{doc}比对表，经双人复核后存档。",
)
#: Documents evidence is taken from; a hospital without wards has no 病案首页 or nursing records,
#: one without a laboratory no analyser records.
EVIDENCE_DOCS = {
    "定点医疗机构": ("病案首页及医嘱单", "收费明细清单", "药品进销存台账", "护理记录单", "检验仪器原始记录", "治疗登记本"),
    "门诊": ("门诊病历及处方", "收费明细清单", "药品进销存台账", "检验仪器原始记录", "治疗登记本"),
    "定点零售药店": ("处方及销售小票", "药品进销存台账", "采购发票", "店内商品陈列"),
    "医保经办机构": ("手工报销申报材料", "审核流程记录", "基金拨付台账"),
}

# -- inspection summaries -------------------------------------------------------------------------
RESULT_CLEAN = ("未发现明显违规问题。", "未发现违规使用医保基金的问题，已就医保管理制度提出完善建议。",
                "未发现明显违规问题，现场反馈了台账管理方面的改进意见。")
RESULT_FOUND = ("发现{k}类问题，已现场反馈并要求限期整改。", "发现{k}类问题，已形成调查报告，建议按协议处理。",
                "发现{k}类问题，已向机构负责人反馈并留存证据材料。")
SUMMARY = {
    "hospital": (
        "检查组{inspectors}人对该机构开展{type}，查看医保服务协议履行、收费公示、药品耗材进销存和医保结算情况{sampling}。",
        "检查组{inspectors}人到该机构开展{type}，核对医保结算数据、{records}、收费明细{sampling}。",
    ),
    "pharmacy": (
        "检查组{inspectors}人对该药店开展{type}，核对医保结算记录与销售小票、处方留存及药品进销存台账，检查店内商品陈列情况。",
        "检查组{inspectors}人到该药店开展{type}，查看医保刷卡记录、执业药师在岗情况和非医保商品陈列情况。",
    ),
    "agency": (
        "对经办机构开展{type}，查阅内控制度、手工报销审核流程和结算台账{sampling}。",
    ),
    "夜间查房": ("夜间对住院病区开展查房，核对在院患者{n}人，抽查人证卡{m}人。",),
    "日间查房": ("日间对住院病区开展查房，核对在院患者{n}人，询问患者治疗情况。",),
    "回头看": ("对前次检查发现问题的整改情况开展回头看，逐项核对整改台账和相关结算数据。",),
    "明察暗访": ("检查人员以普通顾客身份购药，观察医保结算和商品销售情况，随后亮明身份核对结算记录。",),
    "举报核查": ("针对举报线索开展现场核查，调取相关时段的结算明细、处方和病历资料。",),
    "病历审核": ("调取病历电子资料进行书面审核{sampling}。",),
    "飞行检查": ("会同医保局工作人员开展飞行检查，重点核查{records}、收费明细和药品耗材进销存{sampling}。",),
    "交叉检查": ("会同其他区县检查人员开展交叉检查，重点核查收费明细和药品耗材进销存{sampling}。",),
}
SAMPLING_PHRASE = "，抽审{start}—{end}年{basis}{sampled}份，发现问题{problems}份"
LATE_NOTES = ("报告因补充调取病历资料延后提交。", "机构对初步结论提出异议，复核后提交报告，较时限延后。",
              "检查结束后需补充比对结算数据，报告延后提交。")
PENDING_NOTES = ("检查结束后正在核对结算数据，调查报告尚未提交。", "等待被检查机构补充提供说明材料，报告尚未提交。")

# -- cases ----------------------------------------------------------------------------------------
SOURCE_PHRASES = {
    "举报投诉": ("根据群众举报", "根据投诉线索"),
    "上级交办": ("上级医疗保障部门交办线索显示", "根据市医疗保障局交办的疑点数据"),
    "部门移交": ("卫生健康部门移交线索反映", "市场监管部门移交线索反映", "公安机关移交线索反映"),
    "数据筛查": ("经医保智能监控系统数据筛查发现", "经大数据分析比对发现"),
    "检查发现": ("在{inspection}中发现",),
}
CASE_SUMMARY = {
    "institution": (
        "{source}，{name}存在{violations}等问题。经调取相关时段医保结算数据和原始资料核查，涉及医保基金{amount}。",
        "{source}，{name}涉嫌{violations}。受托方调取结算明细、{documents}和进销存台账进行核查，涉及医保基金{amount}。",
    ),
    "医保经办机构": (
        "{source}，{name}在手工报销审核和基金拨付中存在{violations}等问题，涉及医保基金{amount}。",
    ),
    "医保医师": (
        "{source}，{name}一名医保医师（化名编码 {code}）涉嫌{violations}，涉及处方{n}张，涉及医保基金{amount}。",
    ),
    "参保人员": (
        "{source}，参保人员（化名编码 {code}）涉嫌{violations}，{days}天内在{m}家定点医药机构购药{n}次，涉及医保基金{amount}。",
        "{source}，参保人员（化名编码 {code}）涉嫌{violations}，涉及医保基金{amount}。",
    ),
}
#: What the contractor reads at each kind of institution (case summaries).
CASE_DOCUMENTS = {"定点医疗机构": "病历", "定点零售药店": "处方、销售小票"}
#: An insured person's violations that are told as buying at pharmacies (the other template is general).
INSURED_PURCHASES = frozenset({"冒卡（名）就医", "空刷医保卡", "套取和倒卖药品及耗材", "变卖医保结算的药品或诊疗项目"})
#: Whistle-blower texts (confidential, fictional, without any personal data), each with the
#: violation type it reports.
LEAD_TEXTS = {
    "定点医疗机构": (
        ("挂床住院", "来电反映：该机构晚上病房里基本没有病人，但很多人都登记了住院，怀疑有人挂床住院。举报人要求对其身份保密。"),
        ("过度检查", "来信反映：去该机构看感冒，医生让做了好几项检查，和病情关系不大，费用都走了医保。"),
        ("虚构医疗服务", "来信反映：出院结算单上有好几次理疗，但住院期间根本没有做过。"),
        ("诱导住院", "网上留言反映：该机构组织老年人免费体检后劝说住院，住院期间基本没有治疗。"),
    ),
    "定点零售药店": (
        ("诱导参保人员购买生活用品及化妆品", "来电反映：该药店可以用医保卡买洗发水、护肤品，收银时按药品结算。举报人要求对其身份保密。"),
        ("聚敛倒刷医保卡", "来信反映：该药店有人收集别人的医保卡集中刷卡买药，药品再转卖出去。"),
        ("虚构药品耗材购销存数据", "来信反映：该药店货架上好几种药常年缺货，但听说医保结算里一直有销售。"),
    ),
    "医保医师": (
        ("虚构医疗服务", "来信反映：某医生给没有来看病的人开药，处方上的病人根本没去过诊室。"),
        ("协助参保人变现", "来电反映：某医生帮熟人多开药，对方再把药卖掉换钱。"),
    ),
    "参保人员": (
        ("冒卡（名）就医", "匿名反映：有人用别人的医保凭证就医买药，多次在不同药店大量购买同一种药。"),
        ("套取和倒卖药品及耗材", "来电反映：有人在多家药店用医保购药后低价转卖，怀疑套取医保基金。"),
    ),
    "医保经办机构": (
        ("制度审核不全", "来信反映：手工报销审核时有材料不全也给报销的情况，审核把关不严。"),
    ),
}
NOT_FILED_NOTES = ("经初步核查，线索反映的问题与实际不符，不予立案。",
                   "经核实相关费用符合医保支付规定，不予立案，已向线索提供方反馈。")
CASE_WITHDRAWAL = "与 {other} 为同一事项，重复登记；本条撤回，以 {other} 为准。"
INSPECTION_WITHDRAWAL = "同一次检查重复录入；本条撤回，以 {other} 为准。"
AMENDMENT_REASON = "追回金额按财务入账凭证更正。"
#: Legal basis by subject type and by whether the violation is fraud (骗取) or a violation.
LEGAL_BASIS = {
    "violation": "《医疗保障基金使用监督管理条例》第三十八条",
    "fraud": "《医疗保障基金使用监督管理条例》第四十条",
    "person": "《医疗保障基金使用监督管理条例》第四十一条",
    "doctor": "《医疗保障基金使用监督管理条例》第十五条",
    "agency": "《医疗保障基金使用监督管理条例》第三十六条",
    "定点医疗机构": "《医疗机构医疗保障定点管理暂行办法》（国家医保局令第2号）",
    "定点零售药店": "《零售药店医疗保障定点管理暂行办法》（国家医保局令第3号）",
    "agreement": "医疗保障定点服务协议",
}
#: provision records (records/provision/) a decision applies, by the same keys (a tuple: all apply)
PROVISIONS = {
    "violation": "FT-L735-38",
    "fraud": "FT-L735-40",
    "person": "FT-L735-41",
    "person_fraud": "FT-L735-41-2",
    "医保医师": ("FT-FWXY-0",),
    "医保经办机构": ("FT-L735-36", "FT-L2-39-2"),
    "agreement": "FT-FWXY-0",
}
#: the reward policy (records/reward_policy/) a whistle-blower's reward is computed by: 2% of the
#: money recovered, at least 200 and at most 100,000 yuan, is within its lowest tier
REWARD_POLICY = "JL-2023-DEMO"
FRAUD_TYPES = frozenset({"诱导住院", "虚构医疗服务", "伪造医疗文书票据", "倒刷医保卡", "假病人", "假病情", "假票据",
                         "假检测", "假透析", "虚构药品耗材购销存数据", "聚敛倒刷医保卡", "协助参保人变现"})

# -- trainings ------------------------------------------------------------------------------------
TRAINING_TITLE = "《医疗保障基金合规使用》线下培训（第{nth}期）：{topic}"
TRAINING_PLACES = ("{bureau}会议室", "{district}{street}社区卫生服务中心会议室（虚构）", "{district}政务服务中心培训室")
TRAINING_SUMMARY = (
    "围绕{topics}进行讲解，结合本区检查中发现的典型问题逐条分析，发放《医疗保障基金使用监督管理条例》学习资料。",
    "以案说法，讲解{topics}，现场解答定点医药机构医保管理人员的提问，并开展随堂测试。",
    "面向定点医药机构负责人和医保管理人员，讲解{topics}，通报近期检查发现的共性问题。",
)
TRIP_TITLE = "赴{place}参加医疗保障基金飞行检查（以干代训）"
TRIP_PLACES = {
    ("省内", True): ("疆内某地州市",), ("省外", True): ("疆外某省会城市", "疆外某地级市"),
    ("省内", False): ("省内某地市",), ("省外", False): ("省外某省会城市", "省外某地级市"),
}
TRIP_HOSTS = {"省内": "某地州市医疗保障局", "省外": "某省医疗保障局飞行检查组"}
TRIP_SUMMARY = (
    "医保局{k}名工作人员随检查组参与飞行检查，全程参加病历审核、进销存核查和问题认定，学习飞行检查的组织方式和取证要求。",
    "医保局{k}名工作人员参与飞行检查的数据筛查、现场检查和问题汇总，回来后在局内分享检查方法。",
)
