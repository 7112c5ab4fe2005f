"""The ``yibao`` command: a thin layer over load → check → compute → publish.

Exit codes: 0 valid, 1 records invalid, 2 usage or internal error. Bad input never produces a
traceback; an unexpected failure prints one line and asks for a report.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a Chinese hint, as argparse does
        self.print_usage(sys.stderr)
        sys.stderr.write(f"yibao: 用法错误：{message}\n")
        raise SystemExit(EXIT_USAGE)


def _root(args: argparse.Namespace) -> Path:
    from .load.repository import RepositoryNotFound, find_root

    try:
        return find_root(args.repo)
    except RepositoryNotFound as exc:
        raise UsageError(str(exc)) from None


def _schemas(root: Path):
    from .schemas import SchemaSet

    return SchemaSet.load(root / "schemas")


def _relative(root: Path, raw: str, base: str | None = None) -> str:
    """A user-given path as a repository path; relative to ``-C DIR`` when given, as git does."""
    path = Path(raw)
    absolute = path.resolve() if path.is_absolute() else (Path(base or Path.cwd()) / path).resolve()
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{raw} 不在仓库 {root} 内") from None
    if not absolute.exists():
        raise UsageError(f"文件不存在：{raw}")
    return relative


def _cache(args: argparse.Namespace, root: Path, schemas):
    """The check cache, unless ``--no-cache`` (see yibao.check.cache)."""
    if getattr(args, "no_cache", False):
        return None
    from .check.cache import Cache

    return Cache(root, schemas.fingerprint)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", help="不使用检查缓存（缓存在仓库之外，可随时删除）")
    parser.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="并行进程数（默认使用全部 CPU 核）")


def cmd_validate(args: argparse.Namespace) -> int:
    from .check.runner import check_repository
    from .diagnostics import render

    root = _root(args)
    schemas = _schemas(root)
    paths = [_relative(root, p, args.repo) for p in args.paths] if args.paths else None
    result = check_repository(root, schemas, paths, cache=_cache(args, root, schemas), jobs=args.jobs, want_data=False)
    print(render(result.diagnostics, args.format, result.files))
    if args.format == "text" and paths is None:
        counts = result.counts
        parts = [f"{schemas.kind_label(k)} {counts[k]}" for k in schemas.kinds if counts.get(k)]
        if parts:
            print("记录数：" + "，".join(parts))
    if result.internal_errors:
        return EXIT_USAGE
    return EXIT_OK if result.ok else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="yibao", description="医保基金监管工作记录：校验记录、统计考核指标、生成门户。")
    parser.add_argument("--version", action="version", version=f"yibao {__version__}")
    parser.add_argument("-C", "--repo", metavar="DIR", default=None, help="记录仓库所在目录（默认从当前目录向上查找）")
    parser.add_argument("--debug", action="store_true",
                        help="内部错误时显示完整的 Python 调用栈（供维护人员排查；也可设置环境变量 YIBAO_DEBUG=1）")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="校验记录（全部或指定文件及其引用的记录）")
    p.add_argument("paths", nargs="*", metavar="PATH", help="只校验这些记录文件（以及它们引用的记录）")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="输出格式")
    add_run_options(p)
    p.set_defaults(func=cmd_validate)

    for register in _EXTENSIONS:
        register(sub)
    return parser


_EXTENSIONS: list = []


def extension(fn):
    """Subcommands living in other modules register here (keeps this file thin)."""
    _EXTENSIONS.append(fn)
    return fn


def _load_extensions() -> None:
    from . import commands  # noqa: F401  - registers the other subcommands


def entry() -> None:
    """The console script (and ``python -m yibao``).

    A command runs once and exits. At province scale it holds millions of long-lived objects
    (100k records and their checks, frames and reports) and creates almost no reference cycles;
    Python's cyclic collector would walk all of them again and again (0.4 s a pass at 100k
    records). So it stays off for the process, except for ``serve``, which lives on; reference
    counting frees everything as usual, explicit ``gc.collect()`` calls (the portal's) still
    work, and the few cycles die with the process. For the same reason the process ends without
    freeing those objects one by one (about 1 s at 100k records): once the output is flushed,
    there is nothing left to do.
    """
    import gc

    if "serve" not in sys.argv[1:]:
        gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    _load_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from .schemas import SchemaError
    from .textsafe import visible  # messages may quote a path or a record's text

    try:
        return args.func(args)
    except UsageError as exc:
        sys.stderr.write(f"yibao: {visible(str(exc))}\n")
        return EXIT_USAGE
    except SchemaError as exc:
        sys.stderr.write(f"yibao: {visible(str(exc))}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if args.debug or os.environ.get("YIBAO_DEBUG") == "1":
            import traceback

            sys.stderr.write(visible(traceback.format_exc(), newlines=True))
        sys.stderr.write(f"yibao: 内部错误：{type(exc).__name__}: {visible(str(exc))}\n请把这条信息报告给仓库维护人员"
                         f"{'' if args.debug else '（加 --debug 可显示调用栈）'}。\n")
        return EXIT_USAGE
