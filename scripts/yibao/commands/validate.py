"""``yibao validate``: check every record (or the given files and what they reference)."""
from __future__ import annotations

from .context import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Context, add_run_options


def register(sub) -> None:
    p = sub.add_parser("validate", help="校验记录（全部或指定文件及其引用的记录）")
    p.add_argument("paths", nargs="*", metavar="PATH", help="只校验这些记录文件（以及它们引用的记录）")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="输出格式")
    add_run_options(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    from ..speed.run import check_repository
    from ..core.diagnostics import render

    args = ctx.args
    schemas = ctx.schemas
    paths = [ctx.relative(p) for p in args.paths] if args.paths else None
    result = check_repository(ctx.root, schemas, paths, cache=ctx.cache(), jobs=args.jobs, want_data=False)
    print(render(result.diagnostics, args.format, result.files))
    if args.format == "text" and paths is None:
        counts = result.counts
        parts = [f"{schemas.kind_label(k)} {counts[k]}" for k in schemas.kinds if counts.get(k)]
        if parts:
            print("记录数：" + "，".join(parts))
    if result.internal_errors:
        return EXIT_USAGE
    return EXIT_OK if result.ok else EXIT_INVALID
