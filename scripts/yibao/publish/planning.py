"""Planning the checks in the portal: the 双随机 page, the sampling-plans page, the extrapolations
page, the parts of record pages about them, and the public disclosure files of the draws (一公开).

Pages (each the list page of its record kind, :data:`LIST_PAGES`):

* ``draws/index.md`` — every draw as of the date: seed and where it was announced, frame and pool,
  what it selected, and whether the inspections happened (from
  :func:`yibao.compute.disclosure.draws_disclosure`, the very data of the disclosure files), with
  links to the draw's page, the institutions, the inspections and the cases opened from them;
* ``sampling-plans/index.md`` — per plan (one hospital, one period): the count the contract's rule
  requires, the statistical size, the planned count, and what the hospital's inspections have sampled
  so far, counted as the KPI counts it (:func:`yibao.compute.kpis.institution_totals` over
  :func:`yibao.compute.kpis.eligible_institutions` of the contract's target);
* ``extrapolations/index.md`` — point estimate, standard error, 80/90/95% limits and the demand.

The case page of a case citing an extrapolation says in plain Chinese how its amount was reached
(:func:`case_method`); a KPI that counts inspections of a type needing a draw links to the 双随机
page (:func:`kpi_draw_note`). :func:`write_disclosure` writes ``公开/双随机.json`` and ``.csv`` into
the built site; the portal's leak scan reads them (``yibao.publish.portal.check_no_leak``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..check.planning import target_of
from ..compute import disclosure
from ..compute import kpis as kpis_mod
from ..core.extrapolation import DEMAND_LEVEL
from ..core.record import Record
from . import pages as P
from .html import EMPTY, Markup, dl, esc, fmt, join, link, percent, relative, table, tag, yuan

DRAWS_PAGE = "draws/index.md"
PLANS_PAGE = "sampling-plans/index.md"
EXTRAPOLATIONS_PAGE = "extrapolations/index.md"
#: the public disclosure files, under the built site
DISCLOSURE_DIR = "公开"
DISCLOSURE_JSON = f"{DISCLOSURE_DIR}/双随机.json"
DISCLOSURE_CSV = f"{DISCLOSURE_DIR}/双随机.csv"


def disclosed(site: P.Site) -> list[dict]:
    """The draws as the public may see them on the site's date (the disclosure files' data)."""
    return disclosure.draws_disclosure(site.records, site.schemas, site.as_of)


def write_disclosure(site: P.Site, output: Path) -> list[Path]:
    """``公开/双随机.json`` and ``.csv`` in the built site: the draws and their inspections' outcomes."""
    data = disclosed(site)
    folder = output / DISCLOSURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    document = {"as_of": site.as_of.isoformat(), "draws": data,
                "note": "双随机、一公开：每次抽取的种子及其来源、抽取范围和人员库的 SHA-256 与数量、抽中的机构和检查人员编号，"
                        "以及检查的实施情况（是否实施、日期、发现问题数和问题类型、是否立案）。复核方法见 README“双随机抽取与复核”。"}
    paths = [output / DISCLOSURE_JSON, output / DISCLOSURE_CSV]
    paths[0].write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(disclosure.to_csv(data), encoding="utf-8")
    return paths


# -- the 双随机 page -----------------------------------------------------------------------------------------

def _yes_no(value: Any) -> str:
    return EMPTY if value is None else "是" if value else "否"


def draws_page(site: P.Site) -> tuple[str, str]:
    page = DRAWS_PAGE
    data = disclosed(site)
    public = join([link("双随机.json", relative(page, DISCLOSURE_JSON)), esc("、"), link("双随机.csv", relative(page, DISCLOSURE_CSV))])
    intro = tag("p", f"统计日 {site.as_of.isoformat()} 时共 {len(data)} 次“双随机”抽取。每次抽取的种子在抽取前公布，"
                     "抽取范围（机构）和人员库由本仓库抽取日的数据确定，CI 每次都按种子重新抽取（yibao draw verify）；"
                     "复核方法见 README“双随机抽取与复核”。", class_="yb-note")
    text = P.front_matter("双随机抽取") + P.block(intro, Markup('<p class="yb-note">公开数据（一公开，不含个人信息和保密字段）：')
                                              + public + Markup("</p>")) + "\n"
    summary_rows = []
    for draw in data:
        done = [e for e in draw["selected"] if (e["inspection"] or {}).get("carried_out")]
        summary_rows.append([site.ref(page, "draw", draw["draw"], with_name=False), draw["date"],
                             site.ref(page, "contract", draw["contract"], with_name=False), draw["purpose"],
                             str(draw["frame"].get("size")), str(len(draw["selected"])), str(len(done))])
    text += P.section("抽取一览", table(["抽取编号", "抽取日期", "服务项目", "用途", "范围内机构", "抽中", "已实施检查"], summary_rows,
                                      empty="（尚无抽取记录）"))
    for draw in data:
        text += f"## {draw['draw']}（{draw['date']}）\n\n" + P.block(draw_summary(site, draw, page), selected_table(site, draw, page)) + "\n"
    return page, text


def draw_summary(site: P.Site, draw: dict, page: str) -> Markup:
    frame, pool = draw["frame"], draw["pool"]
    strata = "，".join(f"{k} {v} 家" for k, v in (frame.get("strata") or {}).items())
    per_type = "，".join(f"{k} {v} 家" for k, v in (frame.get("per_risk_tier") or frame.get("per_type") or {}).items())
    roles = "，".join(f"至少 {r.get('min')} 名{r.get('role')}" for r in pool.get("roles") or [] if isinstance(r, dict))
    return dl([
        ("抽取记录", site.ref(page, "draw", draw["draw"], with_name=False)),
        ("服务项目", site.ref(page, "contract", draw["contract"])),
        ("抽取算法", f"{draw['algorithm_label']}（{draw['algorithm']}）"),
        ("随机种子", draw["seed"]), ("种子来源", draw["seed_source"]),
        ("抽取范围", f"{frame.get('description') or EMPTY}；共 {frame.get('size')} 家（{strata or EMPTY}）"),
        ("抽取数", f"{frame.get('count')} 家" + (f"（{per_type}）" if per_type else "")),
        ("范围编码 SHA-256", tag("code", frame.get("ids_sha256"))),
        ("检查人员库", f"{pool.get('size')} 人，每家 {pool.get('min_per_target')} 人"
                       + (f"（{roles}）" if roles else "") + "，回避人员申报的利害关系"
                       + ("和上次检查该机构的人员" if pool.get("exclude_last_inspectors") else "")),
        ("人员库编号 SHA-256", tag("code", pool.get("ids_sha256"))),
    ])


def selected_table(site: P.Site, draw: dict, page: str) -> Markup:
    rows = []
    for entry in draw["selected"]:
        done = entry["inspection"]
        cases = site.linked("case", "related_inspections", done["id"]) if done else []
        rows.append([
            site.ref(page, "institution", entry["institution"]), entry["institution_type"] or EMPTY,
            "、".join(entry["inspectors"]),
            site.ref(page, "inspection", done["id"], with_name=False) if done else "尚无检查记录",
            done["status"] if done else EMPTY,
            f"{done['start_date'] or ''} 至 {done['end_date'] or '（进行中）'}" if done and done["start_date"] else EMPTY,
            fmt(done["findings"]) if done and done["findings"] is not None else EMPTY,
            "、".join(done["violation_types"]) if done and done["violation_types"] else EMPTY,
            join((site.ref(page, "case", c.id, with_name=False) for c in cases), "、") if cases else _yes_no(done and done["case_opened"]),
        ])
    return table(["抽中机构", "类型", "抽中检查人员", "检查", "检查状态", "检查日期", "发现问题", "问题类型", "立案"], rows,
                  sortable=False, empty="（无）")


def draw_extra(site: P.Site, record: Record, page: str) -> str:
    """On a draw's page: what it selected and what became of it, and how to re-verify it."""
    draw = next((d for d in disclosed(site) if d["draw"] == record.id), None)
    out = ""
    if draw is not None:
        out += P.section("抽中的机构与检查情况", selected_table(site, draw, page))
    how = tag("p", "复核：yibao draw verify " + record.path + "；不用本程序时，按 README“双随机抽取与复核”用 sort 和 sha256sum "
                   "对范围内的机构编码逐一计算 SHA-256(种子 + 换行 + 编码) 并排序。双随机页面汇总全部抽取：", class_="yb-note")
    return out + P.section("复核", how, link("双随机抽取", relative(page, DRAWS_PAGE)))


# -- sampling plans --------------------------------------------------------------------------------------------

def sampled_so_far(site: P.Site, plan: Record) -> tuple[int | None, list[str]]:
    """What the plan's hospital's inspections have sampled so far, as the contract's sampling KPI counts it."""
    view = site.views.get(plan.get("contract"))
    if view is None:
        return None, []
    target = target_of(view.contract, plan.get("metric"), plan.get("sampling_basis"), site.schemas)
    if target is None:
        return None, []
    institutions = kpis_mod.eligible_institutions(view, target, former=True)
    totals = kpis_mod.institution_totals(view, target, institutions, target.get("sampling_basis")).get(plan.get("institution"))
    return (totals.sampled, list(totals.ids)) if totals else (0, [])


def plans_page(site: P.Site) -> tuple[str, str]:
    page = PLANS_PAGE
    plans = sorted(site.all("sampling_plan"), key=lambda r: (str(r.get("contract")), str(r.get("institution")), r.id))
    rows, classes = [], []
    for plan in plans:
        sampled, ids = sampled_so_far(site, plan)
        planned = plan.get("planned_count")
        short = isinstance(sampled, int) and isinstance(planned, int) and sampled < planned
        rule = (f"{percent(plan.get('rate'))} × {fmt(plan.get('volume'))}" if plan.get("rate") is not None
                else f"{fmt(plan.get('target_count'))} 份按业务量分配" if plan.get("target_count") is not None else EMPTY)
        rows.append([site.ref(page, "sampling_plan", plan.id, with_name=False), site.ref(page, "institution", plan.get("institution")),
                     site.ref(page, "contract", plan.get("contract"), with_name=False),
                     f"{plan.get('period.start')} 至 {plan.get('period.end')}", site.term("sampling_plan", ("metric",), plan.get("metric")),
                     rule, fmt(plan.get("required_count")), fmt(plan.get("statistical.size")) if plan.get("statistical") else EMPTY,
                     fmt(planned), fmt(sampled) if sampled is not None else EMPTY,
                     join((site.ref(page, "inspection", i, with_name=False) for i in ids), "、") if ids else EMPTY,
                     "已抽取" if plan.get("selection") else "尚未抽取"])
        classes.append("yb-row-warn" if short else "")
    intro = tag("p", f"统计日 {site.as_of.isoformat()} 时共 {len(plans)} 个病历抽样计划。按合同应抽份数 = 合同抽审比例 × 该机构业务量（向上取整），"
                     "或合同固定份数按业务量分配；统计样本量按计划中的置信水平和允许误差计算；计划抽取份数取两者中较大者。"
                     "这些数由 yibao sample plan 计算，CI 按合同和机构记录重新计算（plan-count-mismatch）。"
                     "“已抽审”是该机构截至统计日已结束的检查中抽审的份数之和，与考核指标（抽审比例）的口径相同；少于计划的行标为黄色。",
                class_="yb-note")
    body = table(["计划", "机构", "服务项目", "审核期间", "依据的考核指标", "合同规则", "按合同应抽", "统计样本量", "计划抽取",
                  "已抽审", "计入的检查", "抽取"], rows, row_classes=classes, empty="（尚无抽样计划）")
    return page, P.front_matter("病历抽样计划") + P.block(intro, body)


# -- extrapolations --------------------------------------------------------------------------------------------

def limits_of(record: Record) -> dict[int, dict]:
    limits = record.get("result.limits")
    return {row.get("confidence"): row for row in limits if isinstance(row, dict)} if isinstance(limits, list) else {}


def _interval(row: dict | None) -> str:
    return f"{yuan(row.get('lower'))} 至 {yuan(row.get('upper'))}" if row else EMPTY


def extrapolations_page(site: P.Site) -> tuple[str, str]:
    page = EXTRAPOLATIONS_PAGE
    records = sorted(site.all("extrapolation"), key=lambda r: (str(r.get("date")), r.id))
    rows = []
    for r in records:
        limits = limits_of(r)
        cases = site.linked("case", "money.extrapolation", r.id)
        rows.append([site.ref(page, "extrapolation", r.id, with_name=False), site.ref(page, "institution", r.get("institution")),
                     site.ref(page, "inspection", r.get("inspection"), with_name=False) if r.get("inspection") else EMPTY,
                     fmt(r.get("date")), f"{fmt(r.get('result.sample_size'))} / {fmt(r.get('result.population_size'))}",
                     str(len(r.get("strata") or [])), yuan(r.get("result.point_estimate")), yuan(r.get("result.standard_error")),
                     _interval(limits.get(80)), _interval(limits.get(90)), _interval(limits.get(95)), yuan(r.get("result.demand")),
                     join((site.ref(page, "case", c.id, with_name=False) for c in cases), "、") if cases else EMPTY])
    intro = tag("p", f"统计日 {site.as_of.isoformat()} 时共 {len(records)} 次抽样外推。按（分层）简单随机抽样的总体总额估计推算违规金额："
                     "点估计 = 各层总体单位数 × 该层样本平均违规金额之和；标准误含有限总体校正；置信区间为双侧、用 t 分布"
                     f"（与 RAT-STATS 变量评估一致）。追回依据金额取双侧 {DEMAND_LEVEL}% 置信区间的下限。数值由 yibao extrapolate 计算，"
                     "CI 重新计算到分（extrapolation-mismatch）。", class_="yb-note")
    body = table(["外推", "机构", "检查", "日期", "样本 / 总体", "分层数", "点估计（元）", "标准误（元）", "80% 置信区间（元）",
                  "90% 置信区间（元）", "95% 置信区间（元）", "追回依据（元）", "引用的案件"], rows, empty="（尚无抽样外推）")
    return page, P.front_matter("抽样外推") + P.block(intro, body)


def method_text(site: P.Site, source: Record) -> str:
    """How an extrapolation reaches its demand, in plain Chinese."""
    limits = limits_of(source)
    demand_row = limits.get(DEMAND_LEVEL) or {}
    strata = [s for s in source.get("strata") or [] if isinstance(s, dict)]
    layered = f"分 {len(strata)} 层" if len(strata) > 1 else "不分层"
    return (f"从 {source.get('period.start')} 至 {source.get('period.end')} 的 {fmt(source.get('result.population_size'))} 个"
            f"{source.get('sampling_unit') or '抽样单位'}中{layered}随机抽取 {fmt(source.get('result.sample_size'))} 个，逐一审核违规金额"
            f"（未发现违规的记为 0 元）；再按各层总体单位数把样本的平均违规金额推算到全部单位。"
            f"推算的违规金额点估计为 {yuan(source.get('result.point_estimate'))} 元，标准误 {yuan(source.get('result.standard_error'))} 元"
            f"（已作有限总体校正）；按 t 分布（自由度 {fmt(source.get('result.degrees_of_freedom'))}），真实金额有 {DEMAND_LEVEL}% 的把握落在 "
            f"{yuan(demand_row.get('lower'))} 至 {yuan(demand_row.get('upper'))} 元之间。认定金额取这一双侧 {DEMAND_LEVEL}% 置信区间的下限 "
            f"{yuan(source.get('result.demand'))} 元：真实金额低于它的可能性不超过 {(100 - DEMAND_LEVEL) // 2}%，对被检查机构有利。")


def case_method(site: P.Site, record: Record, page: str) -> str:
    """On a case page: how the amount was reached, when the case cites an extrapolation."""
    ident = record.get("money.extrapolation")
    source = site.get("extrapolation", ident)
    if not isinstance(ident, str):
        return ""
    if source is None:
        return P.section("抽样外推", tag("p", f"认定金额引用抽样外推 {ident}，该外推在统计日尚不存在。", class_="yb-note"))
    limits = limits_of(source)
    rows = [[f"{level}%", yuan((limits.get(level) or {}).get("lower")), yuan((limits.get(level) or {}).get("upper"))]
            for level in sorted(limits)]
    facts = dl([("外推依据", site.ref(page, "extrapolation", ident, with_name=False)),
                ("按抽样外推认定的金额", f"{yuan(record.get('money.extrapolated'))} 元"),
                ("点估计", f"{yuan(source.get('result.point_estimate'))} 元"),
                ("标准误", f"{yuan(source.get('result.standard_error'))} 元")])
    return P.section("抽样外推认定金额的方法", tag("p", method_text(site, source)), facts,
                     table(["置信水平（双侧）", "下限（元）", "上限（元）"], rows, sortable=False),
                     link("全部抽样外推", relative(page, EXTRAPOLATIONS_PAGE)))


# -- KPI drill-downs -------------------------------------------------------------------------------------------

def kpi_draw_note(site: P.Site, kpi: dict, page: str) -> Markup:
    """A link to the 双随机 page when a KPI counts inspections chosen by a draw."""
    drawn = [i for i in kpi.get("records") or [] if isinstance(i, str)
             and (r := site.get("inspection", i)) is not None and r.get("draw")]
    if not drawn:
        return Markup("")
    return tag("p", join([esc(f"计入的记录中有 {len(drawn)} 项双随机抽查（由抽取记录确定检查对象和人员），抽取和实施情况见 "),
                          link("双随机抽取", relative(page, DRAWS_PAGE)), esc("。")]), class_="yb-note yb-kpi-draws")


#: the list page of each planning kind
LIST_PAGES = {"draw": draws_page, "sampling_plan": plans_page, "extrapolation": extrapolations_page}
#: the extra sections of each planning kind's record page
EXTRA = {"draw": draw_extra}
