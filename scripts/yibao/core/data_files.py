"""Which paths hold settlement data (or leads made from it), or case-file documents: files git must never hold.

Settlement data carries personal information (person numbers, ID numbers, names) and lives in a
data folder outside the repository. ``.gitignore`` keeps such files out of ``git add``; the
pre-commit hook ``no-settlement-data`` (same pattern as :data:`PATTERN`) refuses them in a
commit; ``yibao check-changes`` refuses them in a pull request, from any account, bureau included.
The demo reference tables under ``schemas/reference/`` hold no personal data and are allowed.

Case-file documents (调查报告, 询问笔录, 病历复印件 …) live in the document store
(:mod:`yibao.core.archive`), ``archive-store/`` by default: ``.gitignore`` lists it, the pre-commit
hook ``no-archive-store`` (same pattern as :data:`ARCHIVE_PATTERN`) refuses it, and ``yibao
check-changes`` refuses any file under a folder of that name (``archive-store-file``).
"""
from __future__ import annotations

import re

#: data-file suffixes (columnar formats, and tables of text outside the reference folder), and the
#: folders a data folder or a screening run writes; the pre-commit hook uses the same expression
PATTERN = re.compile(
    r"(^|/)(data|leads)/"
    r"|\.(parquet|orc|avro|feather|arrow|ipc|ndjson|jsonl)$"
    r"|^(?!schemas/reference/)(.*/)?[^/]*\.(csv|tsv)$",
    re.IGNORECASE,
)


def is_data_file(path: str) -> bool:
    return bool(PATTERN.search(path))


#: the document store's default folder, wherever it appears in a path; the pre-commit hook
#: ``no-archive-store`` uses the same expression
ARCHIVE_PATTERN = re.compile(r"(^|/)archive-store/", re.IGNORECASE)


def is_archive_file(path: str) -> bool:
    return bool(ARCHIVE_PATTERN.search(path))
