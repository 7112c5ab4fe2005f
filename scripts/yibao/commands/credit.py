"""``yibao credit``: each designated institution's credit grade for a year under a credit scheme
record (``records/credit_scheme/``), with the facts behind each deduction and the red and black lists."""
from __future__ import annotations

import json
import sys

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError, add_run_options


def register(sub) -> None:
    p = sub.add_parser("credit", help="按信用评价办法计算定点医药机构的年度信用得分、等级和红黑名单，列出每项扣分的依据",
                       description="按 records/credit_scheme/ 的办法：基础分减去当年处理决定和检查发现问题的扣分，"
                                   "按分数线定等级，按办法的规则列入红名单、黑名单。每项扣分都写明依据的案件或检查。")
    p.add_argument("--scheme", metavar="ID", default=None, help="信用评价办法编号（仓库中只有一个办法时可省略）")
    p.add_argument("--format", choices=("table", "json"), default="table", help="输出格式：table 表格或 json")
    p.add_argument("--all", action="store_true", help="表格列出全部机构（默认只列有扣分的机构）")
    add_run_options(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from ..compute.credit import CreditError, evaluate
    from ..core.textsafe import visible
    from ..speed.run import check_repository

    args = ctx.args
    result = check_repository(ctx.root, ctx.schemas, cache=ctx.cache(), jobs=args.jobs, want_data=True)
    if result.errors:
        files = len({d.path for d in result.errors})
        sys.stderr.write(f"警告：记录校验发现 {len(result.errors)} 个错误（{files} 个文件），有错误的记录未计入评价；请先运行 yibao validate。\n")
    try:
        scheme, grades = evaluate(result.records, ctx.schemas, args.scheme)
    except CreditError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":
        print(json.dumps({"scheme": scheme.id, "year": scheme.get("year"), "grades": [g.as_json() for g in grades]},
                         ensure_ascii=False, indent=2))
        return EXIT_INVALID if result.errors else EXIT_OK
    counts = {}
    for g in grades:
        counts[g.grade] = counts.get(g.grade, 0) + 1
    print(visible(f"{scheme.get('title')}（{scheme.id}）{scheme.get('year')} 年：{len(grades)} 家机构，"
                   + "，".join(f"{k} 级 {v} 家" for k, v in sorted(counts.items()))
                   + f"；红名单 {sum(g.red for g in grades)} 家，黑名单 {sum(g.black for g in grades)} 家"))
    for g in grades:
        if not (g.deductions or args.all or g.black):
            continue
        lists = "，".join(filter(None, ["红名单" if g.red else "", f"黑名单（{g.black_reason}，至少至 {g.black_until}）" if g.black else ""]))
        print("\n" + visible(f"{g.institution} {g.name}：{g.score} 分，{g.grade} 级" + (f"，{lists}" if lists else "")))
        for d in g.deductions:
            print(visible(f"  -{d.points} {d.name}：{d.record} {d.fact}"))
    return EXIT_INVALID if result.errors else EXIT_OK
