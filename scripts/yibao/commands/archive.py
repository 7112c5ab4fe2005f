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

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError, add_run_options

ACTIONS = ("verify", "demo-store", "report", "templates")
EXAMPLES = """示例：
  yibao archive verify                         # 文书库默认为仓库下的 archive-store/（或 $YIBAO_ARCHIVE_STORE）
  yibao archive verify --store /mnt/档案/HT-2024-KLMY --format json
  yibao archive demo-store                     # 把演示记录列出的合成文书写入文书库（不进入 git）
  yibao archive report JC-2024-0H3YKM          # 生成调查报告 .docx，校验和写入记录的 documents
  yibao archive report AJ-2024-43TGWJ --pdf    # 生成处理决定书，并用 LibreOffice 转成 PDF
  yibao archive templates                      # 把默认模板写入 templates/（已有的不覆盖），医保局可在 Word 中修改"""


def register(sub) -> None:
    p = sub.add_parser(
        "archive", help="案卷文书：archive verify 按文书库复核校验和；archive demo-store 写入演示文书；archive report 生成调查报告或处理决定书；archive templates 写出默认模板",
        description="一案一卷：检查和案件记录列出文书（类型、标题、日期、SHA-256、字节数、存放位置），文件保存在仓库之外的文书库。"
                    "verify 重新计算每份文书的校验和，报告缺失、被改动和没有登记的文件，退出码与 validate 相同。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", choices=ACTIONS, metavar="{verify,demo-store,report,templates}", help="verify | demo-store | report | templates")
    p.add_argument("ids", nargs="*", metavar="ID", help="report：检查或案件编号")
    p.add_argument("--store", metavar="DIR", default=None,
                   help="文书库目录（默认 $YIBAO_ARCHIVE_STORE，否则为仓库下的 archive-store/，该目录不进入 git）")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="verify 的输出格式")
    p.add_argument("--templates", metavar="DIR", default=None, help="report：模板目录（默认为仓库的 templates/）")
    p.add_argument("--pdf", action="store_true", help="report：再用 LibreOffice（soffice）转成 PDF（不登记为文书）")
    add_run_options(p)
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    action = ctx.args.action
    if action == "verify":
        return verify(ctx)
    if action == "demo-store":
        return demo_store(ctx)
    if action == "templates":
        return write_templates(ctx)
    return report(ctx)


def _index(ctx: Context):
    from ..speed.run import check_repository

    return check_repository(ctx.root, ctx.schemas, cache=ctx.cache(), jobs=ctx.args.jobs, want_data=True)


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
    from ..core.archive import bytes_digest, documents
    from ..generate.archive_store import write_store

    store = _store(ctx)
    result = _index(ctx)
    store.mkdir(parents=True, exist_ok=True)
    listed = [r for r in result.records if r.id and r.data.get("documents")]
    written, same, skipped = write_store(store, ((r.id, r.data) for r in listed))
    # documents yibao generated from a record (yibao archive report): rendered again, byte for byte
    rendered = 0
    for record in listed:
        for doc in documents(record.data):
            entry = record.data["documents"][doc.index]
            if not entry.get("generated") or doc.disposed:
                continue
            try:
                content = _render(ctx, result.records, record, entry.get("number"))
            except UsageError:
                continue
            if bytes_digest(content) == (doc.sha256, doc.size):
                target = store / doc.path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                rendered += 1
                skipped -= 1
    print(f"文书库 {store}：写入 {written} 份合成文书和 {rendered} 份由记录生成的文书，{same} 份已存在且一致，"
          f"{skipped} 份不是演示文书（未写入）")
    return EXIT_OK


def _template_dir(ctx: Context) -> Path:
    from ..publish.documents import TEMPLATE_DIR

    return Path(ctx.args.templates) if ctx.args.templates else ctx.root / TEMPLATE_DIR


def _render(ctx: Context, records, record, number: str | None) -> bytes:
    from ..publish.documents import CONTEXTS, render, templates

    spec = templates(ctx.schemas.vocab("document_type")).get(record.kind)
    if spec is None or record.kind not in CONTEXTS:
        raise UsageError(f"{record.id} 是{ctx.schemas.kind_label(record.kind)}记录，没有可生成的文书模板（词表 document_type 的 x-template）")
    template = _template_dir(ctx) / spec.file
    if not template.is_file():
        raise UsageError(f"模板 {template} 不存在；先运行 yibao archive templates 写出默认模板")
    index = {(r.kind, r.id): r for r in records if r.id}
    try:
        return render(template, CONTEXTS[record.kind](record, index, number))
    except Exception as exc:  # a template the bureau edited into something docxtpl cannot render
        raise UsageError(f"模板 {template} 无法填写：{type(exc).__name__}: {exc}") from None


def report(ctx: Context) -> int:
    """Render each named record's document into the store and record its checksum in the record."""
    from .extrapolate import block_text, replace_block
    from ..core.archive import bytes_digest
    from ..publish.documents import CONTEXTS, templates

    if not ctx.args.ids:
        raise UsageError("请给出检查或案件编号，例如 yibao archive report JC-2024-0H3YKM")
    store = _store(ctx)
    result = _index(ctx)
    by_id = {r.id: r for r in result.records if r.id}
    specs = templates(ctx.schemas.vocab("document_type"))
    for ident in ctx.args.ids:
        record = by_id.get(ident)
        if record is None:
            raise UsageError(f"没有编号为 {ident} 的记录")
        spec = specs.get(record.kind)
        if spec is None:
            raise UsageError(f"{ident} 是{ctx.schemas.kind_label(record.kind)}记录，没有可生成的文书模板（词表 document_type 的 x-template）")
        entries = [_typed(e) for e in record.data.get("documents") or [] if isinstance(e, dict)]
        path = f"{record.data.get('contract')}/{ident}/{Path(spec.file).stem}.docx"
        earlier = next((e for e in entries if e.get("path") == path), {})
        number = earlier.get("number") or next((e.get("number") for e in entries if e.get("type") == spec.document_type and e.get("number")), None)
        content = _render(ctx, result.records, record, number)
        target = store / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        sha, size = bytes_digest(content)
        context = CONTEXTS[record.kind](record, {}, number)
        day = context.get("report_date") or context.get("decided_on")
        entry = {"type": spec.document_type, "title": f"{spec.document_type}（yibao 按记录生成）"}
        if number:
            entry["number"] = number
        entry.update({"date": _date(day), "sha256": sha, "size": size, "path": path, "generated": True})
        entries = [e for e in entries if e.get("path") != path] + [entry]
        text = (ctx.root / record.path).read_text(encoding="utf-8")
        text = replace_block(text, "documents", block_text(ctx.schemas, record.kind, record.path, "documents", entries))
        (ctx.root / record.path).write_text(text, encoding="utf-8")
        print(f"{record.path}: 已生成{spec.document_type} {target}（{size:,} 字节，SHA-256 {sha}），已登记到 documents")
        if ctx.args.pdf:
            _pdf(target)
    return EXIT_OK


def _typed(entry: dict) -> dict:
    """An entry as loaded (dates as ISO text) with its dates as dates, so it is written back unquoted."""
    from ..core.record import as_date

    out = dict(entry)
    if as_date(out.get("date")):
        out["date"] = as_date(out["date"])
    if isinstance(out.get("disposal"), dict) and as_date(out["disposal"].get("date")):
        out["disposal"] = dict(out["disposal"], date=as_date(out["disposal"]["date"]))
    return out


def _date(value):
    import datetime as _dt

    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return _dt.date.today()


def _pdf(target: Path) -> None:
    """A PDF next to the .docx with LibreOffice, when it is installed (not registered as a document)."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        sys.stderr.write("没有找到 LibreOffice（soffice），未生成 PDF；Debian 上可用 apt-get install libreoffice-writer 安装\n")
        return
    done = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(target.parent), str(target)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.stderr.write(f"LibreOffice 转换失败：{done.stderr.strip()[:300]}\n")
    else:
        print(f"PDF：{target.with_suffix('.pdf')}")


def write_templates(ctx: Context) -> int:
    from ..publish.documents import default_template, templates

    folder = _template_dir(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    for spec in templates(ctx.schemas.vocab("document_type")).values():
        target = folder / spec.file
        if target.exists():
            print(f"{target} 已存在，未覆盖")
            continue
        target.write_bytes(default_template(spec.kind))
        print(f"已写出{spec.document_type}模板 {target}")
    return EXIT_OK
