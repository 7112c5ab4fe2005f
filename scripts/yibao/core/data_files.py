"""Which paths hold settlement data (or leads made from it): files git must never hold.

Settlement data carries personal information (person numbers, ID numbers, names) and lives in a
data folder outside the repository. ``.gitignore`` keeps such files out of ``git add``; the
pre-commit hook ``no-settlement-data`` (same pattern as :data:`PATTERN`) refuses them in a
commit; ``yibao check-changes`` refuses them in a pull request, from any account, bureau included.
The demo reference tables under ``schemas/reference/`` hold no personal data and are allowed.
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
