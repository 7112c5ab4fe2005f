"""Two engines, one rule text: DuckDB (embedded, the default) and Apache Spark.

A rule's SQL is DuckDB's dialect. :class:`DuckDBEngine` runs it as written, over views that read
the data folder's Parquet or CSV files where they are (out of core: DuckDB spills to its temporary
folder beyond ``memory_limit``). :class:`SparkEngine` translates the same text with SQLGlot
(``read="duckdb", write="spark"``) and runs it on a Spark session: ``local[N]`` on one machine,
or ``--master spark://…`` / ``yarn`` on a cluster, where the data folder must be a path every
executor can read (HDFS, S3, a shared mount).

Both hand back rows as plain tuples in :data:`~yibao.screen.rules.OUTPUT` order, normalised by
:func:`normalise` (dates as ISO text, amounts as text with two decimals) so the two engines'
results compare row by row.
"""
from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .rules import OUTPUT
from .tables import Source, reader, select_typed

ENGINES = ("duckdb", "spark")
CENT = Decimal("0.01")


class EngineError(Exception):
    """A rule failed on an engine (its SQL, or the data)."""


def normalise(row: tuple) -> tuple:
    fixmedins, psn, begin, end, amount, hits, evidence = row
    if amount is None:
        amount = Decimal(0)
    return (
        None if fixmedins is None else str(fixmedins),
        None if psn is None else str(psn),
        begin.isoformat() if isinstance(begin, (_dt.date, _dt.datetime)) else begin,
        end.isoformat() if isinstance(end, (_dt.date, _dt.datetime)) else end,
        str(Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)),
        int(hits or 0),
        "" if evidence is None else str(evidence),
    )


def to_spark(sql: str) -> str:
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB", threads: int | None = None, temp_directory: str | None = None) -> None:
        import duckdb

        config = {"memory_limit": memory_limit, "preserve_insertion_order": "false"}
        if threads:
            config["threads"] = str(threads)
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._duckdb = duckdb
        self.con = duckdb.connect(config=config)

    def register(self, sources: dict[str, Source], period: tuple | None = None) -> None:
        for name, source in sources.items():
            present = {r[0] for r in self.con.execute(f"DESCRIBE SELECT * FROM {reader(source)}").fetchall()}
            typed = select_typed(source.table, present, reader(source), source.fmt == "csv", period)
            self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {typed}")

    def run(self, sql: str) -> list[tuple]:
        try:
            cursor = self.con.execute(sql)
            names = tuple(d[0] for d in cursor.description)
            if names != OUTPUT:
                raise EngineError(f"规则输出的列应为 {', '.join(OUTPUT)}，实际是 {', '.join(names)}")
            return [normalise(r) for r in cursor.fetchall()]
        except self._duckdb.Error as exc:
            raise EngineError(str(exc).splitlines()[0]) from None

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    name = "spark"

    def __init__(self, master: str = "local[2]", session=None, driver_memory: str = "2g") -> None:
        if session is None:
            from pyspark.sql import SparkSession

            session = (SparkSession.builder.appName("yibao-screen").master(master)
                       .config("spark.ui.enabled", "false")
                       .config("spark.sql.session.timeZone", "UTC")
                       .config("spark.driver.memory", driver_memory)
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.shuffle.partitions", "8" if master.startswith("local") else "200")
                       .getOrCreate())
            session.sparkContext.setLogLevel("ERROR")
            self._owned = True
        else:
            self._owned = False
        self.spark = session

    def register(self, sources: dict[str, Source], period: tuple | None = None) -> None:
        for name, source in sources.items():
            path = source.glob
            if source.fmt == "parquet":
                df = self.spark.read.parquet(path)
            else:
                df = self.spark.read.option("header", True).option("inferSchema", False).csv(path)
            raw = f"raw_{name}"
            df.createOrReplaceTempView(raw)
            typed = select_typed(source.table, set(df.columns), raw, source.fmt == "csv", period)
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {to_spark(typed)}")

    def run(self, sql: str) -> list[tuple]:
        try:
            frame = self.spark.sql(to_spark(sql))
            if tuple(frame.columns) != OUTPUT:
                raise EngineError(f"规则输出的列应为 {', '.join(OUTPUT)}，实际是 {', '.join(frame.columns)}")
            return [normalise(tuple(r)) for r in frame.collect()]
        except EngineError:
            raise
        except Exception as exc:  # pyspark's AnalysisException and friends, and SQLGlot's errors
            raise EngineError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None

    def run_many(self, sqls: dict[str, str]) -> dict[str, list[tuple]]:
        """Several rules as one Spark job (a ``UNION ALL`` tagged with the rule ID): one plan, one
        scheduling round instead of one per rule. If it fails, each rule is run alone, so the
        error names the rule."""
        if len(sqls) < 2:
            return {key: self.run(sql) for key, sql in sqls.items()}
        parts = []
        for key, sql in sqls.items():
            tag = key.replace("'", "''")
            parts.append(f"SELECT '{tag}' AS rule_key, q.* FROM ({to_spark(sql)}) AS q")
        try:
            frame = self.spark.sql(" UNION ALL ".join(parts))
            if tuple(frame.columns[1:]) != OUTPUT:
                raise EngineError("columns")
            rows = frame.collect()
        except Exception:  # find the rule at fault
            return {key: self.run(sql) for key, sql in sqls.items()}
        out: dict[str, list[tuple]] = {key: [] for key in sqls}
        for row in rows:
            values = tuple(row)
            out[values[0]].append(normalise(values[1:]))
        return out

    def close(self) -> None:
        if self._owned:
            self.spark.stop()


def make_engine(name: str, *, memory_limit: str = "2GB", threads: int | None = None, master: str = "local[2]",
                temp_directory: Path | None = None, session=None):
    if name == "duckdb":
        return DuckDBEngine(memory_limit, threads, str(temp_directory) if temp_directory else None)
    return SparkEngine(master, session=session)
