"""``yibao bench``: the benchmark (see yibao.bench); prints a table and writes JSON."""
from __future__ import annotations

import sys
from pathlib import Path

from .context import Context, EXIT_OK, UsageError


def register(sub) -> None:
    p = sub.add_parser("bench", help="性能基准：生成 1k/10k/100k 条记录的仓库，测量校验、报告、审计记录和门户构建，并与同类工具对比",
                       description="生成带 git 历史的合成仓库，多次运行取中位数；结果打印为表格并写入 JSON。")
    p.add_argument("--sizes", default="1000,10000,100000", help="记录条数，逗号分隔（默认 1000,10000,100000）")
    p.add_argument("--portal-sizes", default="1000,10000,20000",
                   help="测量门户构建的规模（默认 1000,10000,20000；不在 --sizes 中的规模只测门户）")
    p.add_argument("--runs", type=int, default=3, help="每项运行次数，取中位数（默认 3）")
    p.add_argument("--output", "-o", default="bench-results/bench.json", help="JSON 结果文件（默认 bench-results/bench.json）")
    p.add_argument("--keep", metavar="DIR", default=None, help="把生成的仓库保留在这个目录（默认用完即删）；目录中已有的仓库直接沿用")
    p.add_argument("--no-peers", action="store_true", help="不运行对照工具（check-jsonschema、逐文件 git log）")
    p.add_argument("--peer-runs", type=int, default=None, metavar="N",
                   help="对照工具的运行次数（默认同 --runs；check-jsonschema 在 10 万条时一次约 10 分钟）")
    p.set_defaults(func=run)


def _sizes(raw: str) -> list[int]:
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"规模应为逗号分隔的整数，例如 1000,10000：{raw}") from None
    if not values or min(values) < 10:
        raise UsageError(f"规模至少为 10 条记录：{raw}")
    return values


def run(ctx: Context) -> int:
    args = ctx.args
    from ..bench import render_table, run_benchmark

    if args.runs < 1 or (args.peer_runs is not None and args.peer_runs < 1):
        raise UsageError("--runs 和 --peer-runs 至少为 1")
    sizes = _sizes(args.sizes)
    portal = set(_sizes(args.portal_sizes)) if args.portal_sizes else set()
    output = Path(args.output)
    report = run_benchmark(sizes, args.runs, portal, output, Path(args.keep) if args.keep else None,
                           log=lambda m: sys.stderr.write(m + "\n"), peers=not args.no_peers,
                           peer_runs=args.peer_runs)
    print(render_table(report))
    print(f"\nJSON：{output}")
    return EXIT_OK
