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
    # the garbage-collector policy (yibao.speed.gc): a command that runs once and exits declares
    # nothing and gets "off"; one that lives on (serve) declares "on" with set_defaults(gc="on")
    parser.set_defaults(gc="off")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    for command in COMMANDS:
        command.register(sub)
    return parser


def entry() -> None:
    """The console script (and ``python -m yibao``): run the command, flush, exit with its code.

    The command's garbage-collector policy is applied in :func:`main`. Before the interpreter exits,
    every object still alive is frozen (:func:`yibao.speed.gc.before_exit`), so the exit does not
    walk them all once more.
    """
    from .speed import gc as gc_policy

    code = main()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, OSError):  # the reader went away (yibao report | head): nothing to say
        # as the Python manual advises for SIGPIPE: send what is left to devnull, so the exit's own
        # flush does not fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    gc_policy.before_exit()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from .speed import gc as gc_policy

    debug = os.environ.get("YIBAO_DEBUG")
    if args.debug:  # worker processes inherit it: a rule's internal error shows its traceback too
        os.environ["YIBAO_DEBUG"] = "1"
    try:
        with gc_policy.applied(args.gc):
            return _run(args)
    finally:
        if debug is None:
            os.environ.pop("YIBAO_DEBUG", None)
        else:
            os.environ["YIBAO_DEBUG"] = debug


def _run(args: argparse.Namespace) -> int:
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
