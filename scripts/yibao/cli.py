"""The ``yibao`` command: a thin layer over load → check → compute → publish.

Exit codes: 0 valid, 1 records invalid, 2 usage or internal error. Bad input never produces a
traceback; an unexpected failure prints one line and asks for a report.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__

from .commands import COMMANDS
from .commands.context import EXIT_OK, EXIT_USAGE, Context, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a Chinese hint, as argparse does
        self.print_usage(sys.stderr)
        sys.stderr.write(f"yibao: 用法错误：{message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="yibao", description="医保基金监管工作记录：校验记录、统计考核指标、生成门户。")
    parser.add_argument("--version", action="version", version=f"yibao {__version__}")
    parser.add_argument("-C", "--repo", metavar="DIR", default=None, help="记录仓库所在目录（默认从当前目录向上查找）")
    parser.add_argument("--debug", action="store_true",
                        help="内部错误时显示完整的 Python 调用栈（供维护人员排查；也可设置环境变量 YIBAO_DEBUG=1）")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    for command in COMMANDS:
        command.register(sub)
    return parser


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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from .core.schemas import SchemaError
    from .core.textsafe import visible

    try:
        return args.func(Context(args))
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
