"""``yibao sample``: medical-record sampling plans as records.

- ``sample plan``: a new plan record for a hospital and a period, its counts computed from the
  contract target and the hospital's volumes (the same code as the check ``plan-count-mismatch``);
- ``sample select PATH --list FILE``: draws the planned count from the hospital's list of record
  numbers (a file outside the repository) with ``sha256-rank-v1``, writes the selection to a file
  outside the repository and fills the plan's ``selection`` (seed, the list's SHA-256 and size, count);
- ``sample verify PATH --list FILE``: re-runs the selection from the list and compares.

The list and the selection are the hospital's data: neither may be written inside the repository.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError
from .extrapolate import block_text, replace_block

KIND = "sampling_plan"

EXAMPLES = """示例：
  yibao sample plan --contract HT-2024-KLMY --institution H65020300001 --metric record_sampling_rate \\
      --period 2022-01-01 2023-12-31 --confidence 0.95 --margin 0.05
  yibao sample select records/sampling_plan/CY-2024-ABC123.yaml --list ~/医院/病历号.txt \\
      --seed "2024-06-03 上证综指收盘 3078.49" --seed-source "抽取前一日书面告知医院" --date 2024-06-03 \\
      --output ~/医院/抽中病历.txt
  yibao sample verify records/sampling_plan/CY-2024-ABC123.yaml --list ~/医院/病历号.txt --selection ~/医院/抽中病历.txt"""


def register(sub) -> None:
    p = sub.add_parser(
        "sample", help="病历抽样计划：按合同目标计算应抽份数（plan），从医院的病历号清单（不入库）中抽取（select），复核（verify）",
        description="抽样计划写成记录 records/sampling_plan/CY-….yaml；医院的病历号清单和抽中的病历号只保存在仓库之外，"
                    "记录中只保存清单的 SHA-256（排序去重后每行一个、末尾不换行）、份数、种子和抽取份数。"
                    "抽取算法与双随机抽取相同（sha256-rank-v1）。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=("plan", "select", "verify"), help="plan 新建计划；select 抽取；verify 复核")
    p.add_argument("path", nargs="?", metavar="PATH", help="抽样计划记录（select、verify）")
    p.add_argument("--contract", metavar="ID", help="所属项目（plan）")
    p.add_argument("--institution", metavar="ID", help="被抽样机构（plan）")
    p.add_argument("--metric", help="依据的考核指标（plan），例如 record_sampling_rate")
    p.add_argument("--basis", help="抽审对象（plan；默认取指标的默认值）")
    p.add_argument("--period", nargs=2, metavar=("START", "END"), help="审核期间（plan）：病历的起止日期")
    p.add_argument("--inspection", metavar="ID", help="执行抽审的检查（plan，可选）")
    p.add_argument("--confidence", type=float, help="统计样本量的置信水平，例如 0.95（可选）")
    p.add_argument("--margin", type=float, help="统计样本量的允许误差：比例（如 0.05）或按金额时的元数")
    p.add_argument("--expected", type=float, help="预期问题病历比例（按比例估计，默认 0.5）")
    p.add_argument("--std-dev", type=float, help="每份病历违规金额的标准差（元；给出时按金额估计）")
    p.add_argument("--list", metavar="FILE", help="医院的病历号清单，每行一个（select、verify；须在仓库之外）")
    p.add_argument("--seed", help="随机种子（select；须在抽取前确定）")
    p.add_argument("--seed-source", metavar="TEXT", help="种子来源（select）")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="抽取日期（select，默认今天）")
    p.add_argument("--output", metavar="FILE", help="抽中的病历号写到这个文件（select；须在仓库之外；默认打印）")
    p.add_argument("--selection", metavar="FILE", help="复核时比对的抽中病历号文件（verify，可选）")
    p.add_argument("--dry-run", action="store_true", help="只打印，不写记录")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    action = ctx.args.action
    if action == "plan":
        return plan(ctx)
    if not ctx.args.path:
        raise UsageError(f"sample {action} 需要抽样计划记录的路径")
    return select(ctx) if action == "select" else verify(ctx)


def _index(ctx: Context):
    from ..check.references import Index
    from ..speed.run import check_repository

    return Index.build(check_repository(ctx.root, ctx.schemas, want_data=True).records)


def plan(ctx: Context) -> int:
    from ..check.planning import expected_plan
    from ..core.record import Record
    from ..generate.writer import RecordWriter
    from ..new import new_id, record_path

    args, root, schemas = ctx.args, ctx.root, ctx.schemas
    missing = [n for n, v in (("--contract", args.contract), ("--institution", args.institution), ("--metric", args.metric),
                              ("--period", args.period)) if not v]
    if missing:
        raise UsageError(f"缺少 {'、'.join(missing)}；见 yibao sample --help")
    start, end = (_date(v, "--period") for v in args.period)
    if end < start:
        raise UsageError("--period 的止日早于起日")
    basis = args.basis or schemas.vocab("metric").get("x-defaults", {}).get(args.metric, {}).get("sampling_basis")
    if basis not in schemas.terms("sampling_basis"):
        raise UsageError(f"请用 --basis 给出抽审对象；可选：{'、'.join(schemas.terms('sampling_basis'))}")
    statistical = None
    if args.confidence is not None or args.margin is not None:
        if args.confidence is None or args.margin is None:
            raise UsageError("统计样本量需要同时给出 --confidence 和 --margin")
        statistical = {"confidence": _decimal(args.confidence), "margin": _decimal(args.margin), "size": 0}
        if args.std_dev is not None:
            statistical["std_dev"] = _decimal(args.std_dev)
        else:
            statistical["expected"] = _decimal(args.expected if args.expected is not None else 0.5)
    index = _index(ctx)
    contract, institution = index.get("contract", args.contract), index.get("institution", args.institution)
    if contract is None or institution is None:
        raise UsageError(f"{'项目 ' + args.contract if contract is None else '机构 ' + args.institution} 不存在")
    if args.inspection and index.get("inspection", args.inspection) is None:
        raise UsageError(f"检查 {args.inspection} 不存在")
    from ..core.calendar import to_date

    year = getattr(to_date(contract.get("period.start")), "year", None) or _dt.date.today().year  # the contract's year
    ident = new_id(schemas, KIND, year, lambda i: index.exists(KIND, i) or (root / record_path(KIND, i)).exists())
    data = {"id": ident, "contract": args.contract, "institution": args.institution, "period": {"start": start, "end": end},
            "metric": args.metric, "sampling_basis": basis}
    if statistical:
        data["statistical"] = statistical
    expected, reason = expected_plan(Record(KIND, record_path(KIND, ident), data), contract, institution, schemas,
                                     list(index.records_of("institution")))
    if expected is None:
        raise UsageError(f"无法制定抽样计划：{reason}")
    for dotted, value in expected.items():
        if dotted == "statistical.size":
            data["statistical"]["size"] = value
        else:
            data[dotted] = value
    if args.inspection:
        data["inspection"] = args.inspection
    relpath = record_path(KIND, ident)
    text = RecordWriter(schemas).text(KIND, relpath, data)
    if args.dry_run:
        sys.stdout.write(text)
    else:
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(text, encoding="utf-8")
    years = "、".join(map(str, expected["volume_years"]))
    _say(f"{'将生成' if args.dry_run else '已生成'} {relpath}：{institution.id} {years} 年业务量 {expected['volume']} 份，"
         f"按合同应抽 {expected['required_count']} 份"
         + (f"，统计样本量 {expected['statistical.size']} 份" if "statistical.size" in expected else "")
         + f"，计划抽取 {expected['planned_count']} 份")
    return EXIT_OK


def _decimal(value: float):
    from decimal import Decimal

    return Decimal(repr(value))


def _date(value: str, option: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} 应写成 YYYY-MM-DD（现在是 {value}）") from None


def outside(ctx: Context, raw: str, option: str) -> Path:
    """A path given for the hospital's data; refused inside the repository (it must never reach git)."""
    path = Path(raw).expanduser().resolve()
    root = ctx.root.resolve()
    if path == root or root in path.parents:
        raise UsageError(f"{option} {raw} 在仓库之内：病历号是医院的数据，清单和抽取结果只能放在仓库之外")
    return path


def read_list(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"无法读取病历号清单 {path}：{exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"病历号清单 {path} 不是 UTF-8 文本") from None
    return text.splitlines()


def _plan_record(ctx: Context):
    from ..core.record import Record
    from ..load.strict_yaml import load_bytes

    relpath = ctx.relative(ctx.args.path)
    if not relpath.startswith(f"records/{KIND}/"):
        raise UsageError(f"{relpath} 不是抽样计划记录（应在 records/{KIND}/ 下）")
    raw = (ctx.root / relpath).read_bytes()
    data, problems, _ = load_bytes(raw)
    if problems or data is None:
        raise UsageError(f"{relpath} 无法读取；请先运行 yibao validate {relpath}")
    return relpath, raw.decode("utf-8"), Record(KIND, relpath, data)


def select(ctx: Context) -> int:
    from ..core import draw as algo
    from ..core.sampling_plan import PlanError, select_records

    args = ctx.args
    missing = [n for n, v in (("--list", args.list), ("--seed", args.seed), ("--seed-source", args.seed_source)) if not v]
    if missing:
        raise UsageError(f"缺少 {'、'.join(missing)}；见 yibao sample --help")
    relpath, text, record = _plan_record(ctx)
    count = record.get("planned_count")
    if not isinstance(count, int):
        raise UsageError(f"{relpath} 没有计划抽取份数（planned_count）；请先运行 yibao validate {relpath}")
    numbers = read_list(outside(ctx, args.list, "--list"))
    output = outside(ctx, args.output, "--output") if args.output else None
    day = _date(args.date, "--date") if args.date else _dt.date.today()
    try:
        chosen = select_records(args.seed, numbers, count)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    selection = {"selected_on": day, "seed": args.seed, "seed_source": args.seed_source, "algorithm": algo.ALGORITHM,
                 "list_sha256": chosen.list_sha256, "list_size": chosen.list_size, "count": len(chosen.selected)}
    lines = "".join(n + "\n" for n in chosen.selected)
    if output is not None:
        output.write_text(lines, encoding="utf-8")
    else:
        sys.stdout.write(lines)
    if not args.dry_run:
        (ctx.root / relpath).write_text(replace_block(text, "selection", block_text(ctx.schemas, KIND, relpath, "selection", selection)),
                                        encoding="utf-8")
    _say(f"从 {chosen.list_size} 份病历中抽取 {len(chosen.selected)} 份；清单 SHA-256 {chosen.list_sha256}"
         + (f"；抽中的病历号已写入 {output}" if output else "") + ("" if args.dry_run else f"；已填入 {relpath}"))
    return EXIT_OK


def verify(ctx: Context) -> int:
    from ..core.sampling_plan import PlanError, select_records

    args = ctx.args
    if not args.list:
        raise UsageError("复核需要 --list：医院的病历号清单")
    relpath, _, record = _plan_record(ctx)
    seed, count = record.get("selection.seed"), record.get("selection.count")
    if not isinstance(seed, str) or not isinstance(count, int):
        raise UsageError(f"{relpath} 还没有抽取结果（selection）；抽取请用 yibao sample select")
    numbers = read_list(outside(ctx, args.list, "--list"))
    problems = []
    try:
        chosen = select_records(seed, numbers, count)
    except PlanError as exc:
        problems.append(str(exc))
        chosen = None
    if chosen is not None:
        for label, have, want in (("清单 SHA-256", record.get("selection.list_sha256"), chosen.list_sha256),
                                  ("清单份数", record.get("selection.list_size"), chosen.list_size)):
            if have != want:
                problems.append(f"{label}记为 {have}，这份清单是 {want}：清单与抽取时的不是同一份")
        if args.selection:
            given = read_list(outside(ctx, args.selection, "--selection"))
            if given != list(chosen.selected):
                extra = [n for n in given if n not in chosen.selected]
                problems.append(f"抽中的病历号与重新抽取的不一致（文件 {len(given)} 份，重新抽取 {len(chosen.selected)} 份，"
                                f"{len(extra)} 份不在重新抽取的结果中）")
    for message in problems:
        print(f"{relpath}:1:1: error[selection-not-reproducible] {message}")
    if problems:
        return EXIT_INVALID
    print(f"{relpath}: 复核通过：按种子从这份清单（{chosen.list_size} 份）重新抽取 {len(chosen.selected)} 份，"
          f"清单 SHA-256 一致" + ("，抽中的病历号一致" if args.selection else ""))
    return EXIT_OK


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
