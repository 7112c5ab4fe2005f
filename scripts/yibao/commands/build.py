"""``yibao build`` and ``yibao serve``: the portal (MkDocs Material, in Chinese) from the records."""
from __future__ import annotations

import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, add_run_options
from ..core.textsafe import visible


def register(sub) -> None:
    p = sub.add_parser("build", help="生成门户网站（考核指标、覆盖、时限、机构/检查/案件/培训页面和审计记录）",
                       description="校验记录、读取 git 历史、计算考核指标，生成门户页面并用 MkDocs 构建静态网站。")
    p.add_argument("--output", "-o", metavar="DIR", default=None, help="网站输出目录（默认仓库下的 public/）")
    p.add_argument("--as-of", metavar="DATE", default=None, help="统计日，YYYY-MM-DD（默认今天，与 yibao report 相同）")
    add_run_options(p)
    p.set_defaults(func=run_build)

    s = sub.add_parser("serve", help="本地预览门户；修改记录、schemas、site/ 或 mkdocs.yml 后自动重新生成并刷新",
                       description="在本机启动预览服务器（默认 http://127.0.0.1:8000/），文件变化时重新生成。")
    s.add_argument("--addr", metavar="HOST:PORT", default="127.0.0.1:8000", help="监听地址（默认 127.0.0.1:8000）")
    s.add_argument("--as-of", metavar="DATE", default=None, help="统计日，YYYY-MM-DD（默认今天）")
    s.add_argument("--open", action="store_true", help="启动后在浏览器中打开")
    s.set_defaults(func=run_serve, gc="on")  # lives on: the collector stays on


def _as_of(raw: str | None):
    from .report import parse_as_of

    return parse_as_of(raw)


def _print_failure(exc) -> int:
    """Diagnostics first (path:line:col: error[CODE] …), then the one-line reason; exit 1 or 2."""
    for diagnostic in getattr(exc, "diagnostics", [])[:200]:
        print(diagnostic.text())
    more = len(getattr(exc, "diagnostics", [])) - 200
    if more > 0:
        print(f"……另有 {more} 个错误未列出")
    sys.stderr.write(f"yibao build: error[{exc.code}] {visible(exc.message)}\n")
    return EXIT_INVALID if exc.code in ("invalid-records", "calendar-year-missing") else EXIT_USAGE


def _check_output_dir(output: Path) -> None:
    """``--output DIR`` must be a folder or become one: a file there (or above it) is a usage error."""
    for place in (output, *output.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                raise UsageError(f"输出目录 {output} 无法使用：{place} 已存在且不是目录；请换一个目录，例如 public/")
            return


def run_build(ctx: Context) -> int:
    args = ctx.args
    from ..load.history import HistoryError
    from ..publish.portal import PortalError, build_portal, relpath_for_display

    as_of = _as_of(args.as_of)
    root = ctx.root
    if args.output:
        _check_output_dir(Path(args.output))
    from ..core.schemas import SchemaError

    try:
        schemas_cache = ctx.cache()
    except SchemaError:  # the build reads the schemas again and reports what is wrong with them
        schemas_cache = None
    output = Path(args.output).resolve() if args.output else None
    try:
        result = build_portal(root, output, as_of, progress=lambda m: sys.stderr.write(m + "\n"),
                              cache=schemas_cache, jobs=args.jobs)
    except (PortalError, HistoryError) as exc:
        return _print_failure(exc)
    counts = "，".join(f"{label} {result.records.get(kind, 0)}" for kind, label in
                      (("institution", "机构"), ("inspection", "检查"), ("case", "案件线索"), ("training", "培训")))
    steps = "，".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items())
    print(f"门户已生成：{relpath_for_display(result.output)}（统计日 {result.as_of}；{counts}；生成 {result.pages} 个页面；"
          f"用时 {result.seconds:.1f} 秒：{steps}）")
    return EXIT_OK


def run_serve(ctx: Context) -> int:
    args = ctx.args
    from ..publish.portal import serve_portal

    as_of = _as_of(args.as_of)
    root = ctx.root
    host, _, port = args.addr.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--addr {args.addr} 格式不对；请写作 主机:端口，例如 127.0.0.1:8000")
    serve_portal(root, host, int(port), as_of, open_browser=args.open)
    return EXIT_OK
