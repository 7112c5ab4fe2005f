"""``yibao generate``: write a synthetic records repository, or regenerate the demo dataset."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .context import EXIT_OK, Context, UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="生成合成数据仓库（虚构机构、检查、案件、培训），或重新生成演示数据",
        description="生成一个完整的合成记录仓库（含 schemas/ 副本），可直接运行 yibao -C DIR validate；"
                    "加 --demo 则按固定种子重新生成克拉玛依区 2024 年演示数据。",
    )
    p.add_argument("--institutions", type=int, metavar="N", help="机构总数（每约 161 家为一个地区、一个项目）")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="随机种子；相同种子生成的文件逐字节相同")
    p.add_argument("--output", metavar="DIR", default=None, help="输出目录（必须没有已有的 records/；--demo 时默认为当前仓库）")
    p.add_argument("--contract-id", metavar="ID", default=None, help="第一个地区的项目编号，例如 HT-2024-DEMO（其余为 HT-年份-区划代码）")
    p.add_argument("--year", type=int, default=None, metavar="YYYY", help="项目年度（默认 2024）")
    p.add_argument("--demo", action="store_true", help="重新生成 records/contract/HT-2024-KLMY.yaml 的演示数据")
    p.add_argument("--demo-history", metavar="DIR", default=None,
                   help="把本仓库的记录写成一个新的演示仓库 DIR，带有真实仓库那样的历史：受托方账号按日提交合并请求，"
                        "医保局审核账号审核后合并（门户的审计记录因此可读）")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    args = ctx.args
    from ..generate import DEFAULT_YEAR, GenerateError, generate_demo, generate_repository

    started = time.perf_counter()
    if args.demo_history:
        return _demo_history(ctx, started)
    try:
        if args.demo:
            counts = _demo(ctx, generate_demo)
        else:
            counts = _synthetic(ctx, generate_repository, DEFAULT_YEAR)
    except GenerateError as exc:
        raise UsageError(str(exc)) from None
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    parts = "，".join(f"{kind} {n}" for kind, n in counts.items())
    print(f"已生成 {total} 条记录（{parts}）")
    sys.stderr.write(f"用时 {elapsed:.1f} 秒（{total / max(elapsed, 1e-9):,.0f} 条/秒）\n")
    return EXIT_OK


def _demo(ctx: Context, generate_demo) -> dict[str, int]:
    args = ctx.args
    from ..generate import stale_demo_files

    for name in ("institutions", "seed", "contract_id", "year"):
        if getattr(args, name) is not None:
            raise UsageError(f"--demo 使用固定的种子和合同，不能同时指定 --{name.replace('_', '-')}")
    root = ctx.root
    output = Path(args.output) if args.output else root
    counts = generate_demo(output, root)
    stale = stale_demo_files(output, root)
    if stale:
        sys.stderr.write(f"注意：以下 {len(stale)} 个演示记录文件不再由生成器产生（生成器不删除记录），请核对后用 git rm 删除：\n")
        sys.stderr.write("".join(f"  {path}\n" for path in stale))
    return counts


def _synthetic(ctx: Context, generate_repository, default_year: int) -> dict[str, int]:
    args = ctx.args
    if args.institutions is None or args.seed is None or args.output is None:
        raise UsageError("请指定 --institutions N、--seed S 和 --output DIR（或使用 --demo）")
    try:  # the schemas of the repository we are in (or -C), else those next to this package
        schemas_dir = ctx.root / "schemas"
    except UsageError:
        if args.repo is not None:
            raise
        schemas_dir = None
    return generate_repository(Path(args.output), args.institutions, args.seed, year=args.year or default_year,
                               contract_id=args.contract_id, schemas_dir=schemas_dir)


def _demo_history(ctx: Context, started: float) -> int:
    from ..generate.history import HistoryError, replay

    args = ctx.args
    for name in ("institutions", "seed", "contract_id", "year", "output"):
        if getattr(args, name) is not None:
            raise UsageError(f"--demo-history 不能同时指定 --{name.replace('_', '-')}")
    if args.demo:
        raise UsageError("--demo-history 不能同时指定 --demo")
    target = Path(args.demo_history)
    try:
        done = replay(ctx.root, target, ctx.schemas)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    print(f"已写出演示仓库 {target}：{done.records} 条记录的 {done.versions} 个版本，{done.pull_requests} 个合并请求")
    sys.stderr.write(f"用时 {time.perf_counter() - started:.1f} 秒；门户：yibao -C {target} serve\n")
    return EXIT_OK
