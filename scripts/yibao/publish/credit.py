"""Credit grades in the portal (信用评价): for each credit scheme, every graded institution's score
and grade, the red and black lists with why each institution is on them, and the facts behind every
deduction (the case or inspection, linked), computed by :mod:`yibao.compute.credit` from the records
as they stood on the portal's date."""
from __future__ import annotations

from ..compute.credit import CreditError, Grade, grade_all
from ..compute.view import RecordIndex
from . import pages as P
from .html import EMPTY, Markup, block, join, tag, table

PAGE = "credit.md"
#: the kinds a grade reads
KINDS = ("institution", "case", "inspection", "provision", "credit_scheme")


def _basis(site: P.Site, grade: Grade) -> Markup:
    items = [join([site.ref(PAGE, d.kind, d.record, with_name=False), tag("span", f" −{d.points} {d.name}：{d.fact}")])
             for d in grade.deductions]
    return join((tag("div", item) for item in items), "") if items else EMPTY


def scheme_section(site: P.Site, scheme, index: RecordIndex) -> str:
    heading = f"{scheme.get('year')} 年信用评价（{scheme.id}）"  # our own words: record text stays in the escaped blocks
    try:
        grades = grade_all(scheme, index)
    except CreditError as exc:
        return P.section(heading, tag("p", str(exc), class_="yb-note"))
    counts: dict[str, int] = {}
    for g in grades:
        counts[g.grade] = counts.get(g.grade, 0) + 1
    thresholds = "；".join(f"{row.get('grade')} 级 ≥ {row.get('min_score')} 分" for row in scheme.get("grades") or [])
    intro = tag("p", join([f"{scheme.get('title')}：{scheme.get('year')} 年共评价 {len(grades)} 家机构，"
                           + "，".join(f"{k} 级 {v} 家" for k, v in sorted(counts.items()))
                           + f"。基础分 {scheme.get('base_score')} 分，{thresholds}。扣分项、分数线和名单规则见办法记录 ",
                           site.ref(PAGE, "credit_scheme", scheme.id, with_name=False), "。"]), class_="yb-note")
    red = [g for g in grades if g.red]
    black = [g for g in grades if g.black]
    black_rows = [[site.ref(PAGE, "institution", g.institution), g.grade, str(g.score), g.black_reason,
                   P.date_span(g.black_until.isoformat(), P.DUE_CLASS) if g.black_until else EMPTY] for g in black]  # a term ahead, like a due date
    graded = [g for g in grades if g.deductions or g.black]
    rows = [[site.ref(PAGE, "institution", g.institution), g.type, str(g.score), g.grade,
             "红名单" if g.red else ("黑名单" if g.black else EMPTY), _basis(site, g)] for g in graded]
    red_text = "、".join(f"{g.institution} {g.name}" for g in red) or "（无）"
    return (P.section(heading, intro)
            + P.section("黑名单", tag("p", str((scheme.get("black_list") or {}).get("exit") or ""), class_="yb-note"),
                        table(["机构", "等级", "得分", "列入原因", "最早移出"], black_rows, empty="（黑名单为空）"))
            + P.section("红名单", tag("p", f"共 {len(red)} 家。{(scheme.get('red_list') or {}).get('exit') or ''}", class_="yb-note"),
                        tag("p", red_text))
            + P.section("有扣分的机构及扣分依据", table(["机构", "类型", "得分", "等级", "名单", "扣分依据（案件或检查）"], rows,
                                                filterable=True, empty="（没有扣分的机构）")))


def credit_page(site: P.Site) -> tuple[str, str]:
    index = RecordIndex.build([r for kind in KINDS for r in site.all(kind)], site.schemas)
    schemes = sorted(index.live("credit_scheme"), key=lambda s: (str(s.get("year")), s.id))
    note = tag("p", f"按统计日 {site.as_of.isoformat()} 时的记录计算（统计日之后作出的处理决定不计入）；与 yibao credit 的结果相同。"
                    "每项扣分都链接到它依据的案件或检查。", class_="yb-note")
    body = "".join(scheme_section(site, s, index) for s in schemes) or block(tag("p", "（尚无信用评价办法）", class_="yb-empty"))
    return PAGE, P.front_matter("信用评价") + block(note) + "\n" + body
