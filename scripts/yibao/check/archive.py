"""The case files against the document store: every listed document there and unaltered, nothing else.

``yibao archive verify`` hands in the records and the store; each problem is a diagnostic on the
record's ``documents`` entry (or on the stray file), all of them in one run:

- ``document-missing`` (error): the entry's file is not in the store and the entry has no
  disposal record;
- ``document-altered`` (error): the file's SHA-256 or size differs from the record's;
- ``document-disposed-early`` (error): a disposal record dated before the document's retention ends
  (``x-retention-years`` of the vocabulary, or the contract's longer ``archive.retention``);
- ``document-disposed-but-present`` (warning): a disposal record, yet the file is still there;
- ``document-path-shared`` (error): two entries name the same store path with different checksums;
- ``unreferenced-document`` (error): a file in the store that no record lists;
- ``store-in-git`` (error): the store lies inside the repository's work tree and git does not
  ignore it (its files could be committed);
- ``case-file-incomplete`` (warning): a document the record's stage requires (``x-required-at``)
  is not listed.

A store that does not exist is a usage error of the command, not a finding.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..core import archive
from ..core.diagnostics import Diagnostic, sort_key
from ..core.record import Record
from .findings import Findings


@dataclass
class Verdict:
    diagnostics: list[Diagnostic]
    documents: int  # entries checked
    files: int  # files found in the store
    bytes: int


def store_files(store: Path) -> dict[str, str]:
    """Every regular file under the store (its full path), by its path relative to the store (POSIX separators)."""
    out: dict[str, str] = {}
    base = str(store).rstrip(os.sep) or os.sep
    cut = len(base) + 1
    stack = [base]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file():
                    out[entry.path[cut:] if os.sep == "/" else entry.path[cut:].replace(os.sep, "/")] = entry.path
    return out


def verify(records: Iterable[Record], contracts: dict[str, dict], vocabulary: dict, store: Path,
           read_text: Callable[[str], str | None], digest: Callable[[str], tuple[str, int]] = archive.file_digest) -> Verdict:
    """Every listed document of ``records`` against the files in ``store`` (see the module's docstring)."""
    files = store_files(store)
    records = sorted(records, key=lambda r: r.path)
    digests = _digests(files, records, digest)
    referenced: dict[str, tuple[str, str]] = {}  # store path -> (sha256, record path)
    out: list[Diagnostic] = []
    checked = total = 0
    for record in records:
        listed = archive.documents(record.data)
        findings = Findings(record.path)
        contract = contracts.get(str(record.data.get("contract")))
        for req in archive.missing(vocabulary, record.kind, record.data):
            findings.warning("case-file-incomplete", f"案卷不完整：已办理到“{req.field}”这一阶段，应有{req.type}，文书清单中没有",
                             at=("documents",) if listed else ())
        for doc in listed:
            checked += 1
            at = ("documents", doc.index)
            earlier = referenced.get(doc.path)
            if earlier and earlier[0] != doc.sha256:
                findings.error("document-path-shared", f"存放位置 {doc.path} 已被 {earlier[1]} 的另一份文书（校验和不同）使用", at=at + ("path",))
            referenced.setdefault(doc.path, (doc.sha256, record.path))
            found = files.get(doc.path)
            if doc.disposed:
                until = archive.keep_until(vocabulary, contract, doc)
                if until is not None and doc.disposal_date is not None and doc.disposal_date <= until:
                    findings.error("document-disposed-early", f"{doc.type}“{doc.title}”应保存至 {until}，"
                                   f"销毁日期 {doc.disposal_date} 早于保管期满", at=at + ("disposal", "date"))
                if found is not None:
                    findings.warning("document-disposed-but-present", f"{doc.type}“{doc.title}”已登记销毁，文书库中仍有 {doc.path}", at=at)
                continue
            if found is None:
                until = archive.keep_until(vocabulary, contract, doc)
                kept = f"（应保存至 {until}）" if until else ""
                findings.error("document-missing", f"文书库中没有{doc.type}“{doc.title}”：{doc.path}{kept}；"
                               "没有销毁记录的文书不能缺失", at=at + ("path",))
                continue
            sha, size = digests[doc.path]
            total += size
            if sha != doc.sha256 or size != doc.size:
                findings.error("document-altered", f"{doc.type}“{doc.title}”（{doc.path}）与记录不符：记录的 SHA-256 {doc.sha256[:12]}…、"
                               f"{doc.size} 字节，文书库中的文件 {sha[:12]}…、{size} 字节", at=at + ("sha256",))
        if findings:
            findings.text = read_text(record.path)
            out.extend(findings.diagnostics())
    for rel in sorted(set(files) - set(referenced)):
        out.append(Diagnostic(f"{store.name}/{rel}", 1, 1, "unreferenced-document",
                              "文书库中的这个文件没有任何记录列出：请在对应记录的 documents 中登记，或移出文书库"))
    out.sort(key=sort_key)
    return Verdict(out, checked, len(files), total)


def _digests(files: dict[str, str], records: list[Record], digest: Callable[[str], tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """(SHA-256, size) of every store file a record lists, read by a few threads (reading a file and
    hashing it release the GIL, so small files are read while others are hashed)."""
    from concurrent.futures import ThreadPoolExecutor

    wanted = sorted({doc.path for record in records for doc in archive.documents(record.data)} & set(files))
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        return dict(zip(wanted, pool.map(lambda rel: digest(files[rel]), wanted, chunksize=64)))


def store_tracked(store: Path, root: Path, ignored: Callable[[str], bool]) -> Diagnostic | None:
    """``store-in-git`` when the store lies inside the work tree at ``root`` and git would add it."""
    try:
        rel = store.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None
    if rel == "." or ignored(rel + "/"):
        return None if rel != "." else Diagnostic(".", 1, 1, "store-in-git", "文书库不能是仓库根目录")
    return Diagnostic(rel, 1, 1, "store-in-git", f"文书库 {rel}/ 在仓库工作区内且没有被 .gitignore 忽略：文书可能被提交进 git；"
                      f"请把它放到仓库之外，或在 .gitignore 中加上 /{rel}/")
