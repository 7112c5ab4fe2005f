"""``yibao disclose``: the public disclosure site (曝光平台) — disclosed decided cases and 双随机 draw
results only — built into its own folder and scanned before it is left there (see ``yibao.publish.exposure``)."""
from __future__ import annotations

import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError, add_run_options


def register(sub) -> None:
    p = sub.add_parser("disclose", help="生成对外公开的曝光网站（只含决定公开的已处理案件和双随机抽查结果），与内部门户分开",
                       description="把标记为公开（disclosed: true）且已作出处理决定的案件、双随机抽取及其检查结果写成一个独立的静态网站；"
                                   "生成后逐个文件检查，含有人员化名编码、未公开案件编号、保密字段内容或个人信息时删除生成结果并报错。")
    p.add_argument("--as-of", metavar="DATE", default=None, help="信息截至日，YYYY-MM-DD（默认今天）")
    p.add_argument("--output", metavar="DIR", default=None, help="输出目录（默认 build/disclosure；每次重新生成）")
    add_run_options(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from ..publish.exposure import DEFAULT_OUTPUT, DisclosureError, build
    from ..speed.run import check_repository
    from .report import parse_as_of

    args = ctx.args
    as_of = parse_as_of(args.as_of)
    output = Path(args.output) if args.output else ctx.root / DEFAULT_OUTPUT
    resolved, root = output.resolve(), ctx.root.resolve()
    if resolved == root or resolved in root.parents or any(resolved == root / name or root / name in resolved.parents
                                                           for name in ("records", "schemas", "site", "scripts", "tests")):
        raise UsageError(f"输出目录 {output} 会覆盖仓库内容；请换一个目录（默认 {DEFAULT_OUTPUT}）")
    result = check_repository(ctx.root, ctx.schemas, cache=ctx.cache(), jobs=args.jobs, want_data=True)
    if result.errors:
        files = len({d.path for d in result.errors})
        sys.stderr.write(f"记录校验发现 {len(result.errors)} 个错误（{files} 个文件）；请先运行 yibao validate 并改正，曝光网站未生成。\n")
        return EXIT_INVALID
    try:
        counts = build(result.records, ctx.schemas, as_of, output)
    except DisclosureError as exc:
        sys.stderr.write(f"yibao disclose: {exc}\n")
        return EXIT_INVALID
    print(f"曝光网站已生成：{output}（信息截至 {as_of.isoformat()}；公开案件 {counts['cases']} 起，双随机抽取 {counts['draws']} 次；"
          f"{counts['files']} 个页面，已逐个检查没有人员化名编码、未公开案件和保密内容）")
    return EXIT_OK
