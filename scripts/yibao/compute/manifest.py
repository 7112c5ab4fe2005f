"""The handover manifest (移交清单): every record version from git history and every document
checksum of a contract (or the whole repository), under one Merkle root.

Seed 004 asks that at the end of the service "所有纸质、影像档案资料统一移交采购人保存" and "须保证数据完整、
完全移交". ``yibao manifest`` writes, for the records in scope, one line per record version (path,
commit, git blob id, SHA-256 of the file's bytes, author date, author) and one per document of the
case files (store path, SHA-256, size, the record that lists it), sorted, and the root of a Merkle
tree over them (:mod:`yibao.core.merkle`). The bureau receives repository, document store and
manifest, and ``yibao manifest verify`` checks on its side that

- the manifest is intact (its lines give its root; a signature by the contractor's key verifies);
- every record version it lists is in the repository's history, byte for byte (a version altered
  or dropped after the manifest, by rewriting history, is caught), and every version the history
  holds up to the manifest's commit is listed;
- every document it lists is in the store with the same checksum and size.

Versions committed after the manifest's commit are reported as warnings (work after handover).
The scope of a contract is every version of a record that names it (``contract``, or a staff
member's ``contracts``), and the contract record itself.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..core import archive, merkle
from ..core.diagnostics import ERROR, WARNING, Diagnostic, sort_key
from ..core.record import Record
from ..load.history import ZERO, History, read_history
from ..load.git_tree import Repository

FORMAT = "yibao-manifest/1"
RECORD, DOCUMENT = "record", "document"


def _clean(value: str) -> str:
    """A field of a line: no tab or line break may split it."""
    return " ".join(str(value).replace("\t", " ").split())


def record_line(path: str, commit: str, blob: str, sha256: str, date: str, author: str) -> str:
    return "\t".join((RECORD, path, commit, blob, sha256, date, _clean(author)))


def document_line(store_path: str, sha256: str, size: int, record_path: str) -> str:
    return "\t".join((DOCUMENT, store_path, sha256, str(size), record_path))


def in_scope(data: dict | None, path: str, contract: str | None) -> bool:
    if contract is None:
        return True
    if not isinstance(data, dict):
        return False
    contracts = data.get("contracts")
    return (data.get("contract") == contract or data.get("id") == contract
            or (isinstance(contracts, list) and contract in contracts))


@dataclass
class Versions:
    """Every record version the history holds: line by (path, commit), and each commit's order."""

    lines: dict[tuple[str, str], str]
    head: str | None


def record_versions(root: Path, contract: str | None, history: History | None = None) -> Versions:
    """The record versions in scope, as manifest lines (the blobs read once, in one batch)."""
    history = history or read_history(root)
    chosen = []
    for path, versions in history.versions.items():
        # a record's scope is decided by what its versions say (a deletion keeps the scope it had)
        scoped = any(in_scope(v.parsed.data, path, contract) for v in versions if v.blob != ZERO)
        if scoped:
            chosen.extend(versions)
    repo = Repository(root)
    digests = {blob: hashlib.sha256(data).hexdigest() if data is not None else "-"
               for blob, data in repo.blobs(sorted({v.blob for v in chosen if v.blob != ZERO}))}
    lines = {}
    for v in chosen:
        sha = digests.get(v.blob, "-") if v.blob != ZERO else "deleted"
        lines[(v.path, v.commit.sha)] = record_line(v.path, v.commit.sha, v.blob, sha, v.commit.date, v.commit.author)
    return Versions(lines, history.head)


def document_lines(records: Iterable[Record], contract: str | None) -> list[str]:
    out = []
    for record in records:
        if contract is not None and not in_scope(record.data, record.path, contract):
            continue
        for doc in archive.documents(record.data):
            if not doc.disposed:
                out.append(document_line(doc.path, doc.sha256, doc.size if doc.size is not None else -1, record.path))
    return out


def build(root: Path, records: Iterable[Record], contract: str | None, today: _dt.date) -> dict:
    """The manifest as a JSON-shaped dict (lines sorted, root over them)."""
    versions = record_versions(root, contract)
    lines = sorted(set(versions.lines.values()) | set(document_lines(records, contract)))
    top = merkle.root([merkle.leaf_hash(line) for line in lines])
    return {"format": FORMAT, "algorithm": merkle.ALGORITHM, "scope": contract or "全部", "created": today.isoformat(),
            "head": versions.head, "records": sum(line.startswith(RECORD + "\t") for line in lines),
            "documents": sum(line.startswith(DOCUMENT + "\t") for line in lines), "root": top.hex(), "lines": lines}


def dumps(manifest: dict) -> str:
    """The manifest's stable text: the same manifest always gives the same bytes."""
    return json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def proof(manifest: dict, wanted: Callable[[str], bool]) -> dict | None:
    """An inclusion proof for the last line ``wanted`` accepts (e.g. a record's latest version)."""
    lines = manifest.get("lines") or []
    chosen = [i for i, line in enumerate(lines) if wanted(line)]
    if not chosen:
        return None
    index = chosen[-1]
    leaves = [merkle.leaf_hash(line) for line in lines]
    return {"line": lines[index], "index": index, "size": len(lines), "root": manifest.get("root"),
            "path": [h.hex() for h in merkle.inclusion_path(leaves, index)]}


def proof_holds(proof_: dict) -> bool:
    try:
        found = merkle.root_from_path(merkle.leaf_hash(proof_["line"]), int(proof_["index"]), int(proof_["size"]),
                                      [bytes.fromhex(h) for h in proof_["path"]])
    except (KeyError, TypeError, ValueError):
        return False
    return found is not None and found.hex() == proof_.get("root")


# -- verification --------------------------------------------------------------------------------------------
def verify(root: Path, manifest: dict, records: Iterable[Record], store: Path | None, name: str,
           is_ancestor: Callable[[str, str], bool], digest: Callable[[Path], tuple[str, int]] = archive.file_digest) -> list[Diagnostic]:
    """Every problem of ``manifest`` (read from the file ``name``) against the repository and the store."""
    out: list[Diagnostic] = []
    lines = manifest.get("lines")
    if manifest.get("format") != FORMAT or not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        return [Diagnostic(name, 1, 1, "manifest-unreadable", f"不是 {FORMAT} 格式的移交清单")]
    top = merkle.root([merkle.leaf_hash(line) for line in lines]).hex()
    if top != manifest.get("root") or lines != sorted(lines):
        out.append(Diagnostic(name, 1, 1, "manifest-root-mismatch",
                              f"清单的根哈希 {str(manifest.get('root'))[:16]}… 与清单各行算出的 {top[:16]}… 不符：清单在生成后被改动过"))
    contract = manifest.get("scope") if manifest.get("scope") != "全部" else None
    head = manifest.get("head")
    listed = {}
    for line in lines:
        fields = line.split("\t")
        if fields[0] == RECORD and len(fields) == 7:
            listed[(fields[1], fields[2])] = line
    versions = record_versions(root, contract)
    for key, line in sorted(listed.items()):
        now = versions.lines.get(key)
        if now == line:
            continue
        path, commit = key
        if now is None:
            out.append(Diagnostic(path, 1, 1, "record-version-missing",
                                  f"清单中的版本（提交 {commit[:12]}）不在仓库历史中：历史在清单生成后被改写，或这个版本被删去"))
        else:
            out.append(Diagnostic(path, 1, 1, "record-version-altered",
                                  f"提交 {commit[:12]} 中的这个版本与清单不符（清单 {line.split(chr(9))[4][:12]}…，仓库 {now.split(chr(9))[4][:12]}…）"))
    for key, line in sorted(versions.lines.items()):
        if key in listed:
            continue
        path, commit = key
        if head and is_ancestor(commit, head):
            out.append(Diagnostic(path, 1, 1, "record-version-unlisted",
                                  f"提交 {commit[:12]} 中的这个版本早于清单的提交 {head[:12]}，清单却没有列出"))
        else:
            out.append(Diagnostic(path, 1, 1, "record-version-after-manifest",
                                  f"提交 {commit[:12]} 在清单生成之后（清单截至 {str(head)[:12]}）", WARNING))
    documents = [line.split("\t") for line in lines if line.startswith(DOCUMENT + "\t")]
    malformed = [fields for fields in documents if len(fields) != 5]
    if malformed:
        out.append(Diagnostic(name, 1, 1, "manifest-unreadable", f"清单中 {len(malformed)} 行文书记录的字段数不对（应为 5 个，以制表符分隔）"))
        documents = [fields for fields in documents if len(fields) == 5]
    if documents and store is None:
        out.append(Diagnostic(name, 1, 1, "store-missing", "清单列有文书，但没有给出文书库（--store DIR）", ERROR))
    elif store is not None:
        inside = store.resolve()
        for _, rel, sha, size, record_path in documents:
            target = store / rel
            if not target.resolve().is_relative_to(inside):
                out.append(Diagnostic(name, 1, 1, "manifest-unreadable", f"清单列出的文书位置 {rel} 在文书库之外，不予读取"))
                continue
            if not target.is_file():
                out.append(Diagnostic(f"{store.name}/{rel}", 1, 1, "document-missing", f"清单列出的文书（{record_path}）不在文书库中"))
                continue
            found_sha, found_size = digest(target)
            if (found_sha, str(found_size)) != (sha, size):
                out.append(Diagnostic(f"{store.name}/{rel}", 1, 1, "document-altered",
                                      f"文书与清单不符（{record_path}）：清单 {sha[:12]}…、{size} 字节，文书库 {found_sha[:12]}…、{found_size} 字节"))
        listed_docs = {(d[1], d[2]) for d in documents}
        for line in document_lines(records, contract):
            fields = line.split("\t")
            if (fields[1], fields[2]) not in listed_docs:
                out.append(Diagnostic(fields[4], 1, 1, "document-after-manifest",
                                      f"记录列出的文书 {fields[1]} 不在清单中（清单生成后登记或改动）", WARNING))
    out.sort(key=sort_key)
    return out
