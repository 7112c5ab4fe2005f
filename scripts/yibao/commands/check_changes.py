"""``yibao check-changes``: the gates a pull request must pass (see :mod:`yibao.check.changes`)."""
from __future__ import annotations

import json

from .context import Context, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError
from ..core.diagnostics import render

NO_ACTOR = "未指定 --actor：没有检查提交账号的权限（CI 中总会检查）。"


def register(sub) -> None:
    p = sub.add_parser(
        "check-changes",
        help="比较两次提交：记录不能删除或改名、编号和创建时的事实不能改、已办结记录只能通过更正记录修改、账号只能改本项目的记录",
        description="比较 --head 与它和 --base 的共同祖先（与拉取请求显示的改动相同），并校验改动的记录及引用它们的记录。",
    )
    p.add_argument("--base", required=True, metavar="REF", help="比较的基准，例如 origin/main")
    p.add_argument("--head", default="HEAD", metavar="REF", help="要检查的提交（默认 HEAD）")
    p.add_argument("--actor", action="append", default=[], metavar="LOGIN",
                   help="提交改动的账号；可写多次，每个账号都必须有权限。不写则不检查账号权限")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="输出格式")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    args = ctx.args
    from ..check.changes import check_changes
    from ..load.git_tree import GitError
    from ..speed.run import check_repository

    root = ctx.root
    try:
        report = check_changes(root, args.base, args.head, args.actor, validate=check_repository)
    except GitError as exc:
        raise UsageError(str(exc)) from None
    print(_render(report, args.format))
    if any(d.code == "internal-error" for d in report.diagnostics):
        return EXIT_USAGE
    return EXIT_OK if report.ok else EXIT_INVALID


def _render(report, fmt: str) -> str:
    body = render(report.diagnostics, fmt, report.files)
    span = f"{report.base[:10]}..{report.head[:10]}"
    if fmt == "json":
        data = json.loads(body)
        data.update({"base": report.base, "head": report.head, "actor_checked": report.actor_checked,
                     "changed_files": [c.path for c in report.changes]})
        return json.dumps(data, ensure_ascii=False, indent=2)
    lines = [f"比较 {span}：{report.files} 个记录文件有改动，其他文件 {len(report.changes) - report.files} 个。"]
    if not report.actor_checked:
        lines.append(f"::notice title=actor::{NO_ACTOR}" if fmt == "github" else NO_ACTOR)
    return "\n".join(lines + [body])
