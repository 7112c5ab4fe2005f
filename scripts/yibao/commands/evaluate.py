"""``yibao evaluate --contract C --period P``: a contract's performance evaluation (绩效考核) for one
period under its evaluation scheme (``records/evaluation_scheme/``): every indicator's inputs, points
and the score, the tier, and the payment it implies for the instalments tied to it."""
from __future__ import annotations

import datetime as _dt
import json
import sys

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError, add_run_options


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="按绩效考核办法计算服务项目一个考核期的得分、档次和应付金额，列出每个指标的依据",
                       description="按 records/evaluation_scheme/ 的办法：报表指标以考核期末为统计日，检查数量按考核期内结束的检查，"
                                   "医保局评分取该考核期的评分；指标得分 = 权重 × 得分比例，总分所在档次决定与考核挂钩的一期付款的实付比例。")
    p.add_argument("--contract", metavar="ID", required=True, help="项目编号，例如 HT-2024-CJ")
    p.add_argument("--period", metavar="P", required=True, help="考核期编码，例如 2024")
    p.add_argument("--scheme", metavar="ID", default=None, help="绩效考核办法编号（项目只有一个办法时可省略）")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", default=None, help="付款情况的统计日（默认今天）")
    p.add_argument("--format", choices=("table", "json"), default="table", help="输出格式：table 表格或 json")
    p.add_argument("--inputs", type=int, default=20, metavar="N", help="每个指标最多列出的依据条数（默认 20，0 为全部）")
    add_run_options(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from ..compute import allocation
    from ..compute import evaluation as ev
    from ..compute import payments
    from ..compute.view import ContractView, RecordIndex
    from ..core.clock import today
    from ..core.money import rate_text, yuan
    from ..core.textsafe import visible
    from ..speed.run import check_repository

    args = ctx.args
    try:
        as_of = _dt.date.fromisoformat(args.as_of) if args.as_of else today()
    except ValueError:
        raise UsageError(f"--as-of 不是有效日期：{args.as_of}（应写作 YYYY-MM-DD）") from None
    result = check_repository(ctx.root, ctx.schemas, cache=ctx.cache(), jobs=args.jobs, want_data=True)
    if result.errors:
        files = len({d.path for d in result.errors})
        sys.stderr.write(f"警告：记录校验发现 {len(result.errors)} 个错误（{files} 个文件），有错误的记录未计入考核；请先运行 yibao validate。\n")
    index = RecordIndex.build(result.records, ctx.schemas)
    contract = index.get("contract", args.contract)
    if contract is None:
        known = "、".join(c.id for c in index.contracts) or "（仓库中没有项目记录）"
        raise UsageError(f"没有编号为 {args.contract} 的项目；现有项目：{known}")
    try:
        scheme = ev.find_scheme(index, contract.id, args.scheme)
        evaluation = ev.evaluate_scheme(scheme, index, ctx.schemas, args.period, as_of)
    except ev.EvaluationError as exc:
        raise UsageError(str(exc)) from None
    view = ContractView(contract, index, as_of, ctx.schemas)
    tied = [i for i in payments.instalments(view)
            if i.evaluation and i.evaluation.get("scheme") == scheme.id and i.evaluation.get("period") == args.period]
    allocated = [a for a in allocation.allocations(scheme, index, ctx.schemas, as_of) if a.period == args.period]
    if args.format == "json":
        out = evaluation.as_json()
        out["as_of"] = as_of.isoformat()
        out["instalments"] = [i.as_json() for i in tied]
        out["allocation"] = allocated[0].as_json() if allocated else None
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return EXIT_INVALID if result.errors else EXIT_OK
    lines = [f"{scheme.get('title')}（{scheme.id}）",
             f"项目 {contract.id}，考核期 {evaluation.period}（{evaluation.start} 至 {evaluation.end}）"]
    for item in evaluation.indicators:
        value, target = item.value_text(item.value), item.value_text(item.target)
        share = "—" if item.share is None else rate_text(item.share)
        lines.append("")
        lines.append(f"[{item.group}] {item.name}（{item.id}，权重 {ev.score_text(item.weight)}）：{ev.score_text(item.points)} 分")
        lines.append(f"  数值 {value} / 目标 {target}，得分比例 {share}；{item.basis}")
        shown = item.inputs if args.inputs == 0 else item.inputs[:args.inputs]
        for fact in shown:
            lines.append(f"  {'✓' if fact.counts else '✗'} {fact.record}" + (f"：{fact.note}" if fact.note else ""))
        if len(shown) < len(item.inputs):
            lines.append(f"  …… 另有 {len(item.inputs) - len(shown)} 条（--inputs 0 列出全部）")
    lines.append("")
    if evaluation.missing:
        lines.append(f"评分不全（{'、'.join(evaluation.missing)} 尚无该考核期的数值）：考核结果未定，不据此付款；"
                     f"其余指标已计 {ev.score_text(evaluation.score)} 分。")
    else:
        lines.append(f"总分 {ev.score_text(evaluation.score)} 分，档次：{evaluation.tier or '—'}，付款比例："
                     + ("—" if evaluation.payment_share is None else rate_text(evaluation.payment_share)))
    if evaluation.consequence:
        lines.append(f"这一档的其他后果：{evaluation.consequence}")
    for alloc in allocated:
        lines.append(f"{alloc.year} 年度服务区域分配（按考核期 {alloc.period} 的得分排序，统计日 {as_of}）：")
        for m in alloc.members:
            after = "尚未登记" if m.regions_after is None else ("、".join(m.regions_after) or "（不再承办）")
            lines.append(f"  {m.rank or '—'}. {m.name}：{'—' if m.score is None else ev.score_text(m.score)} 分（{m.source}）；"
                         f"原区域 {'、'.join(m.regions_before) or '（未承办）'} → {alloc.year} 年 {after}")
        lines.extend(f"  ! {flag}" for flag in alloc.flags)
    for item in tied:
        amount = "待定" if item.amount is None else f"{yuan(item.amount)} 元"
        base = "—" if item.base is None else f"{yuan(item.base)} 元"
        lines.append(f"付款分期 {item.id}（{item.name}）：约定 {base}，按考核应付 {amount}；"
                     f"应付日 {item.due or '—'}，已付 {yuan(item.paid)} 元，{item.status.label}（统计日 {as_of}）")
    if not tied:
        lines.append("本项目没有与该考核期挂钩的付款分期。")
    print("\n".join(visible(line) for line in lines))
    return EXIT_INVALID if result.errors else EXIT_OK
