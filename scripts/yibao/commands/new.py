"""``yibao new KIND``: scaffold a record with a free ID, in the right folder (see :mod:`yibao.new`)."""
from __future__ import annotations

import argparse
import sys

from .context import Context, EXIT_OK, UsageError

EXAMPLES = """示例：
  yibao new inspection --contract HT-2024-KLMY --institution H65020300001 \\
      --set type=日常巡查 --set on_site=true --set start_date=2024-05-08
  yibao new case --institution H65020300001 --set source=举报投诉
  yibao new institution --id H65020300001 --set name=某某社区卫生服务中心
  yibao new staff --contract HT-2024-KLMY --set role=医学
在终端中运行时会逐项询问必填字段；在脚本中用 --set 字段=值 给出，--no-input 不询问。"""


def register(sub) -> None:
    p = sub.add_parser(
        "new", help="新建一条记录：自动生成编号、放到正确的目录、写好全部必填字段和中文说明",
        description="按 schema 生成新记录文件。编号随机生成，不需要中央服务器；重复的编号会被 CI 发现。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("kind", metavar="KIND", help="记录种类：inspection、case、training、staff、institution、contract、calendar")
    p.add_argument("--contract", metavar="ID", help="所属项目编号，例如 HT-2024-KLMY（仓库中只有一个项目时可省略）")
    p.add_argument("--institution", metavar="CODE", help="机构编码：检查的被检查机构、案件的涉事机构")
    p.add_argument("--id", dest="ident", metavar="ID", help="指定编号：机构编码（医保部门赋码）、项目编号；其他种类自动生成")
    p.add_argument("--year", type=int, metavar="YYYY", help="编号中的年份（默认取开始日期的年份或今年）")
    p.add_argument("--set", dest="values", action="append", default=[], metavar="字段=值",
                   help="填写字段，可写多次；嵌套字段用点号，例如 --set sampling.population=1200；列表用逗号分隔")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-i", "--interactive", action="store_true", default=None, help="逐项询问必填字段（终端中默认询问）")
    mode.add_argument("--no-input", dest="interactive", action="store_false", help="不询问，只用命令行给出的值")
    p.add_argument("--dry-run", action="store_true", help="只打印将要生成的内容，不写文件")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    args = ctx.args
    from .. import new
    from ..speed.run import check_repository
    from ..core.diagnostics import render

    root = ctx.root
    schemas = ctx.schemas
    values = [_pair(v) for v in args.values]
    try:
        repo = new.Repository.scan(root, schemas)
        draft = new.start(repo, args.kind, ident=args.ident, year=args.year, contract=args.contract,
                          institution=args.institution, values=values)
        interactive = sys.stdin.isatty() if args.interactive is None else args.interactive
        if interactive:
            new.ask(draft, repo, _reader(), _say)
        if args.dry_run:
            sys.stdout.write(draft.text(schemas))
        else:
            new.write(root, draft, schemas)
    except new.NewRecordError as exc:
        raise UsageError(str(exc)) from None
    if args.dry_run:
        problems, scope = draft.problems(schemas), "（未检查与其他记录的引用）"
    else:
        problems, scope = check_repository(root, schemas, [draft.relpath]).diagnostics, ""
    _say(f"{'将生成' if args.dry_run else '已生成'} {draft.relpath}")
    if problems:
        _say(f"还有 {len(problems)} 处需要填写或修改（与 CI 的检查相同{scope}）：")
        _say(render(problems, "text", 1).rsplit("\n", 1)[0])
        _say(f"填好后运行：yibao validate {draft.relpath}")
    else:
        _say(f"必填字段已齐全，记录可以通过校验{scope}。")
    return EXIT_OK


def _pair(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"--set 应写成 字段=值，例如 --set type=日常巡查（现在是 {raw}）")
    return key.strip(), value


def _reader():
    def read(question: str) -> str:
        sys.stderr.write(question)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")
    return read


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
