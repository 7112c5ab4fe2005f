"""Claims screening: rules kept as records (``records/rule/``) run over settlement data that never
enters git.

* :mod:`.tables` — the tables a data folder holds (columns, types, Chinese and English meaning),
  and the check of a data folder against them;
* :mod:`.rules` — rule records: parameters rendered into the rule's SQL (DuckDB's dialect);
* :mod:`.engines` — DuckDB (embedded, the default, out of core under a memory limit) and Spark
  (the same SQL translated by SQLGlot), both behind one small interface;
* :mod:`.pseudonym` — HMAC-SHA-256 pseudonyms for personal identifiers, with a key held outside
  the repository;
* :mod:`.leads` — running a library of rules, writing leads and a summary without personal data.
"""
