"""``yibao report``: contract KPIs and deadlines as of a date (table, JSON, CSV or Excel)."""
from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError, add_run_options

FORMATS = ("table", "json", "csv", "xlsx")


def register(sub) -> None:
    p = sub.add_parser("report", help="按统计日计算各项目的考核指标和时限（逾期、7日内到期）")
    p.add_argument("--as-of", metavar="DATE", default=None, help="统计日，YYYY-MM-DD（默认今天）；只计这一天及以前发生的事实")
    p.add_argument("--contract", metavar="ID", default=None, help="只统计这个项目（默认全部项目）")
    p.add_argument("--format", choices=FORMATS, default="table", help="输出格式：table 表格、json、csv、xlsx（Excel，须配合 -o）")
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="写入文件（默认输出到终端）")
    add_run_options(p)
    p.set_defaults(func=run)


def parse_as_of(raw: str | None) -> _dt.date:
    if raw is None:
        return _dt.date.today()
    try:
        return _dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"统计日 --as-of {raw} 不是有效日期；请写作 YYYY-MM-DD，例如 2024-10-15") from None


def output_file(raw: str) -> Path:
    """Where ``-o FILE`` writes, checked before the work: a usage error when it cannot be a file."""
    path = Path(raw)
    if path.is_dir():
        raise UsageError(f"输出文件 {raw} 是一个目录；请给出文件名，例如 -o 考核报告.xlsx")
    parent = path.parent
    if not parent.is_dir():
        what = "已存在但不是目录" if parent.exists() else "不存在"
        raise UsageError(f"无法写入输出文件 {raw}：目录 {parent} {what}；请先创建该目录，或换一个输出位置")
    return path


def write_output(path: Path, write) -> None:
    """Run ``write(path)``; a file that cannot be written (permissions, a full disk) is a usage error."""
    try:
        write(path)
    except OSError as exc:
        raise UsageError(f"无法写入输出文件 {path}：{exc.strerror or exc}") from None


def run(ctx: Context) -> int:
    args = ctx.args
    from ..speed.run import check_repository
    from ..core.calendar import MissingCalendarYears
    from ..compute.report import UnknownContract, build_report, write_csv, write_json, write_table, write_xlsx

    as_of = parse_as_of(args.as_of)
    if args.format == "xlsx" and not args.output:
        raise UsageError("Excel 格式需要用 -o 指定输出文件，例如 -o 考核报告.xlsx")
    output = output_file(args.output) if args.output else None
    root = ctx.root
    schemas = ctx.schemas
    result = check_repository(root, schemas, cache=ctx.cache(), jobs=args.jobs, want_data=True)
    invalid = [r for r in result.records if not r.valid]
    if result.errors:
        files = len({d.path for d in result.errors})
        sys.stderr.write(f"警告：记录校验发现 {len(result.errors)} 个错误（{files} 个文件），其中 {len(invalid)} 个记录未计入统计；"
                         "请运行 yibao validate 查看并修正。\n")
    try:
        reports = build_report(result.records, schemas, as_of, args.contract)
    except UnknownContract as exc:
        raise UsageError(str(exc)) from None
    except MissingCalendarYears as missing:
        for diagnostic in missing.diagnostics():
            print(diagnostic.text())
        return EXIT_INVALID
    if not reports:
        sys.stderr.write("仓库中没有项目记录（records/contract/），没有可统计的内容。\n")
    if args.format == "xlsx":
        write_output(output, lambda path: write_xlsx(reports, path))
        return EXIT_OK
    if args.format == "json":
        text = write_json(reports, single=args.contract is not None) + "\n"
    elif args.format == "csv":
        text = write_csv(reports)
    else:
        text = write_table(reports)
    if output is not None:
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        write_output(output, lambda path: path.write_text(text, encoding=encoding))
    else:
        sys.stdout.write(text)
    return EXIT_OK
