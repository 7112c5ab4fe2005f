"""``yibao extrapolate [PATH …]``: compute an extrapolation record's figures and write them into it;
``--check`` only compares (as CI does: ``extrapolation-mismatch``).

The figures are :func:`yibao.core.extrapolation.appraise` of the record's strata, written as the
record's ``result`` block by :func:`yibao.check.planning.figures` — the same code the check runs.
The rest of the file (comments included) is left as it is.
"""
from __future__ import annotations

import argparse
import re
import sys

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError

KIND = "extrapolation"

EXAMPLES = """示例：
  yibao extrapolate records/extrapolation/JS-2024-ABC123.yaml    # 计算并写入外推结果
  yibao extrapolate --check                                       # 复核全部外推记录（与 CI 相同）"""


def register(sub) -> None:
    p = sub.add_parser(
        "extrapolate", help="抽样外推：按样本违规金额推算总体（点估计、标准误、80/90/95%% 置信限），写入外推记录；--check 只复核",
        description="按分层简单随机抽样的总体总值估计（RAT-STATS 变量评估）计算外推结果：点估计 = Σ N_h × 样本均值，"
                    "标准误含有限总体校正，置信限用 t 分布（自由度 n − 层数），追回依据为 90% 置信区间下限（不低于 0）。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="外推记录文件（默认全部 records/extrapolation/）")
    p.add_argument("--check", action="store_true", help="只复核，不写文件；结果不一致时退出码为 1")
    p.set_defaults(func=run)


def replace_block(text: str, key: str, block: str) -> str:
    """``text`` with its top-level ``key:`` block (the key's line and the indented lines after it)
    replaced by ``block``, or ``block`` appended when the key is not there."""
    lines = text.splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if skipping:
            if line.startswith((" ", "-")) or not line.strip():
                continue
            skipping = False
        if re.match(rf"{re.escape(key)}\s*:", line):
            skipping = True
            continue
        out.append(line)
    body = "".join(out)
    if body and not body.endswith("\n"):
        body += "\n"
    return body + block


def block_text(schemas, kind: str, relpath: str, key: str, value) -> str:
    """One top-level key of a record as YAML, keys in schema order (``generate.writer``)."""
    from ..generate.writer import RecordWriter

    text = RecordWriter(schemas).text(kind, relpath, {key: value})
    return text.split("\n", 1)[1]  # without the schema comment line


def run(ctx: Context) -> int:
    from ..check.planning import expected_figures
    from ..core.record import Record
    from ..load.strict_yaml import load_bytes

    args, root, schemas = ctx.args, ctx.root, ctx.schemas
    if args.check:
        return check(ctx)
    paths = [ctx.relative(p) for p in args.paths] or sorted(
        p.relative_to(root).as_posix() for p in (root / "records" / KIND).glob("*.yaml"))
    if not paths:
        raise UsageError("没有外推记录（records/extrapolation/）；请先写好记录的分层和样本金额")
    failed = 0
    for relpath in paths:
        if not relpath.startswith(f"records/{KIND}/"):
            raise UsageError(f"{relpath} 不是外推记录（应在 records/{KIND}/ 下）")
        raw = (root / relpath).read_bytes()
        data, problems, _ = load_bytes(raw)
        if problems or data is None:
            failed += 1
            for p in problems:
                print(f"{relpath}:{p.line}:{p.col}: error[{p.code}] {p.message}")
            continue
        figures, reason = expected_figures(Record(KIND, relpath, data))
        if figures is None:
            failed += 1
            print(f"{relpath}:1:1: error[extrapolation-mismatch] 无法外推：{reason}")
            continue
        text = replace_block(raw.decode("utf-8"), "result", block_text(schemas, KIND, relpath, "result", figures))
        (root / relpath).write_text(text, encoding="utf-8")
        ninety = next(lim for lim in figures["limits"] if lim["confidence"] == 90)
        _say(f"{relpath}：点估计 {figures['point_estimate']} 元，标准误 {figures['standard_error']} 元，"
             f"90% 置信区间 {ninety['lower']} 至 {ninety['upper']} 元，追回依据 {figures['demand']} 元")
    return EXIT_INVALID if failed else EXIT_OK


def check(ctx: Context) -> int:
    from ..speed.run import check_repository

    wanted = {ctx.relative(p) for p in ctx.args.paths}
    result = check_repository(ctx.root, ctx.schemas, want_data=True)
    folder = f"records/{KIND}/"
    found = sorted({r.path for r in result.records if r.kind == KIND} | {d.path for d in result.errors if d.path.startswith(folder)})
    paths = [p for p in found if not wanted or p in wanted]
    if wanted - set(paths):
        raise UsageError(f"不是外推记录：{'、'.join(sorted(wanted - set(paths)))}")
    failed = 0
    for path in paths:
        problems = [d for d in result.errors if d.path == path]
        failed += bool(problems)
        for d in problems:
            print(d.text())
        if not problems:
            print(f"{path}: 复核通过：外推结果与按样本重新计算的一致（到分）")
    print(f"复核 {len(paths)} 个外推记录，{failed} 个不一致。" if paths else "没有外推记录（records/extrapolation/）。")
    return EXIT_INVALID if failed else EXIT_OK


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
