"""The case file (一案一卷): where documents are kept, how long, and which a stage requires.

An inspection or a case lists its documents (``documents``: type, title, date, SHA-256, size and
the file's path in the document store). The files themselves live in the **document store**, a
folder outside git: ``--store DIR``, else ``$YIBAO_ARCHIVE_STORE``, else ``archive-store/`` at the
repository root, which ``.gitignore`` keeps out of ``git add`` and :mod:`yibao.core.data_files`
keeps out of any commit. The record holds only the checksum.

How long a document is kept (``x-retention-years`` of the ``document_type`` vocabulary, raised by
a contract's ``archive.retention``) and which documents a stage requires (``x-required-at``) are
data; this module only reads them.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .record import as_date

CHUNK = 1 << 20
STORE_ENV = "YIBAO_ARCHIVE_STORE"
DEFAULT_STORE = "archive-store"
VOCABULARY = "document_type"


def store_dir(root: Path, given: str | os.PathLike | None = None) -> Path:
    """The document store: ``given``, else ``$YIBAO_ARCHIVE_STORE``, else ``<root>/archive-store``."""
    chosen = given if given else os.environ.get(STORE_ENV)
    return Path(chosen) if chosen else Path(root) / DEFAULT_STORE


def file_digest(path: str | os.PathLike) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes) of a file: a small one in one read, a large one in 1 MiB chunks."""
    with open(path, "rb", buffering=0) as handle:
        data = handle.read(CHUNK)
        digest = hashlib.sha256(data)
        size = len(data)
        while len(data) == CHUNK:
            data = handle.read(CHUNK)
            digest.update(data)
            size += len(data)
    return digest.hexdigest(), size


def bytes_digest(data: bytes) -> tuple[str, int]:
    return hashlib.sha256(data).hexdigest(), len(data)


@dataclass(frozen=True, slots=True)
class Document:
    """One entry of a record's ``documents`` list, as far as it is well formed (dates read when asked)."""

    index: int
    type: str
    title: str
    raw_date: Any
    sha256: str
    size: int | None
    path: str
    disposal: dict | None

    @property
    def date(self) -> _dt.date | None:
        return as_date(self.raw_date)

    @property
    def disposed(self) -> bool:
        return self.disposal is not None

    @property
    def disposal_date(self) -> _dt.date | None:
        return as_date(self.disposal.get("date")) if self.disposal is not None else None


def documents(data: dict) -> list[Document]:
    """The record's documents (entries that are not mappings are skipped: the schema reports them)."""
    out = []
    items = data.get("documents") if isinstance(data, dict) else None
    for i, item in enumerate(items if isinstance(items, list) else ()):
        if type(item) is not dict:
            continue
        disposal = item.get("disposal")
        size = item.get("size")
        out.append(Document(i, str(item.get("type", "")), str(item.get("title", "")), item.get("date"),
                            str(item.get("sha256", "")), size if type(size) is int else None,
                            str(item.get("path", "")), disposal if type(disposal) is dict else None))
    return out


# -- retention ---------------------------------------------------------------------------------------------
def minimum_years(vocabulary: dict) -> dict[str, int]:
    """Document type -> the least number of years the vocabulary requires (``x-retention-years``)."""
    found = vocabulary.get("x-retention-years") if isinstance(vocabulary, dict) else None
    return {k: v for k, v in (found or {}).items() if isinstance(v, int)}


def contract_years(contract: dict | None) -> dict[str, int]:
    """Document type -> years a contract sets (``archive.retention``)."""
    archive = contract.get("archive") if isinstance(contract, dict) else None
    items = archive.get("retention") if isinstance(archive, dict) else None
    out: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("years"), int):
            out[str(item.get("document_type"))] = item["years"]
    return out


def retention_years(vocabulary: dict, contract: dict | None, doc_type: str) -> int | None:
    """Years a document of this type is kept under this contract: the longer of the vocabulary's
    minimum and the contract's period; None when neither sets one."""
    years = [y for y in (minimum_years(vocabulary).get(doc_type), contract_years(contract).get(doc_type)) if y]
    return max(years) if years else None


def add_years(day: _dt.date, years: int) -> _dt.date:
    """The same calendar day ``years`` later (29 February becomes 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def keep_until(vocabulary: dict, contract: dict | None, document: Document) -> _dt.date | None:
    """The last day the document must be kept (it may be disposed of after it); None when unknown."""
    years = retention_years(vocabulary, contract, document.type)
    if years is None or document.date is None:
        return None
    return add_years(document.date, years)


# -- completeness ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Requirement:
    """A document type the record's stage requires, and whether the case file holds one."""

    field: str  # the dotted field whose value marks the stage
    type: str
    present: bool


def _value(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def requirements(vocabulary: dict, kind: str, data: dict) -> list[Requirement]:
    """Every document the record's stage requires (``x-required-at``: document type -> the
    ``kind.field`` paths whose value marks the stage), present or missing."""
    rules = vocabulary.get("x-required-at") if isinstance(vocabulary, dict) else None
    if not rules:
        return []
    items = data.get("documents") if isinstance(data, dict) else None
    held = {str(item.get("type")) for item in items if type(item) is dict} if isinstance(items, list) else set()
    out = []
    prefix = kind + "."
    for doc_type, stages in rules.items():
        for stage in stages:
            if not stage.startswith(prefix):
                continue
            dotted = stage[len(prefix):]
            if _value(data, dotted) not in (None, "", [], {}):
                out.append(Requirement(dotted, doc_type, doc_type in held))
    return out


def missing(vocabulary: dict, kind: str, data: dict) -> list[Requirement]:
    return [r for r in requirements(vocabulary, kind, data) if not r.present]

