"""``yibao archive``: the case files (一案一卷) against the document store outside git.

``yibao archive verify [--store DIR]`` recomputes every listed document's SHA-256 in the store and
reports missing, altered and unreferenced files (:mod:`yibao.check.archive`), with the exit codes of
``validate``; ``yibao archive demo-store`` writes the demo's synthetic documents into the store;
``yibao archive report ID`` generates an inspection's investigation report or a case's decision
notice as .docx from the bureau's template and records its checksum in the record.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError

ACTIONS = ("verify", "demo-store", "report")
EXAMPLES = """示例：
  yibao archive verify                         # 文书库默认为仓库下的 archive-store/（或 $YIBAO_ARCHIVE_STORE）
  yibao archive verify --store /mnt/档案/HT-2024-KLMY --format json
  yibao archive demo-store                     # 把演示记录列出的合成文书写入文书库（不进入 git）
  yibao archive report JC-2024-0H3YKM          # 生成调查报告 .docx，校验和写入记录的 documents
  yibao archive report AJ-2024-43TGWJ --pdf    # 生成处理决定书，并用 LibreOffice 转成 PDF"""


def register(sub) -> None:
    p = sub.add_parser(
        "archive", help="案卷文书：archive verify 按文书库复核校验和；archive demo-store 写入演示文书；archive report 生成调查报告或处理决定书",
        description="一案一卷：检查和案件记录列出文书（类型、标题、日期、SHA-256、字节数、存放位置），文件保存在仓库之外的文书库。"
                    "verify 重新计算每份文书的校验和，报告缺失、被改动和没有登记的文件，退出码与 validate 相同。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=ACTIONS, metavar="{verify,demo-store,report}", help="verify | demo-store | report")
    p.add_argument("ids", nargs="*", metavar="ID", help="report：检查或案件编号")
    p.add_argument("--store", metavar="DIR", default=None,
                   help="文书库目录（默认 $YIBAO_ARCHIVE_STORE，否则为仓库下的 archive-store/，该目录不进入 git）")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="verify 的输出格式")
    p.add_argument("--templates", metavar="DIR", default=None, help="report：模板目录（默认为仓库的 templates/）")
    p.add_argument("--pdf", action="store_true", help="report：再用 LibreOffice（soffice）转成 PDF（不登记为文书）")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    action = ctx.args.action
    if action == "verify":
        return verify(ctx)
    if action == "demo-store":
        return demo_store(ctx)
    return report(ctx)


def _index(ctx: Context):
    from ..speed.run import check_repository

    return check_repository(ctx.root, ctx.schemas, want_data=True)


def _store(ctx: Context) -> Path:
    from ..core.archive import store_dir

    return store_dir(ctx.root, ctx.args.store)


def verify(ctx: Context) -> int:
    from ..check.archive import store_tracked, verify as check
    from ..core.diagnostics import ERROR, render
    from ..load.git_tree import GitError, Repository

    root, schemas = ctx.root, ctx.schemas
    store = _store(ctx)
    if not store.is_dir():
        raise UsageError(f"文书库 {store} 不存在；用 --store DIR 或环境变量 YIBAO_ARCHIVE_STORE 指明（演示数据可先运行 yibao archive demo-store）")
    result = _index(ctx)
    if any(d.severity == ERROR for d in result.errors):
        sys.stderr.write("记录本身有错误，先运行 yibao validate 修正；下面只复核能读取的记录。\n")
    records = [r for r in result.records if "documents" in schemas.field_names(r.kind, ())]
    contracts = {r.id: r.data for r in result.records if r.kind == "contract"}

    def read_text(path: str) -> str | None:
        try:
            return (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    verdict = check(records, contracts, schemas.vocab("document_type"), store, read_text)
    diagnostics = list(verdict.diagnostics)
    try:
        repo = Repository(root)
        tracked = store_tracked(store, root, lambda rel: repo.status("check-ignore", "-q", rel)[0] == 0)
    except GitError:
        tracked = None
    if tracked is not None:
        diagnostics.append(tracked)
    print(render(diagnostics, ctx.args.format, len(records)))
    if ctx.args.format == "text":
        sys.stderr.write(f"文书库 {store}：记录列出 {verdict.documents} 份文书，库中 {verdict.files} 个文件，"
                         f"复核 {verdict.bytes:,} 字节\n")
    return EXIT_INVALID if any(d.severity == ERROR for d in diagnostics) else EXIT_OK


def demo_store(ctx: Context) -> int:
    from ..generate.archive_store import write_store

    store = _store(ctx)
    result = _index(ctx)
    store.mkdir(parents=True, exist_ok=True)
    written, same, skipped = write_store(store, ((r.id, r.data) for r in result.records if r.id and r.data.get("documents")))
    print(f"文书库 {store}：写入 {written} 份合成文书，{same} 份已存在且一致，{skipped} 份不是演示文书（未写入）")
    return EXIT_OK


def report(ctx: Context) -> int:
    raise UsageError("yibao archive report 尚未实现")
