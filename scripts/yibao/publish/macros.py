"""mkdocs-macros pluglet for the hand-written pages in ``site/`` (``modules: [yibao.publish.macros]``).

Only pages that opt in with ``render_macros: true`` run macros (``render_by_default: false``);
pages generated from records carry ``render_macros: false`` and never do. The macros return HTML
that ``yibao build`` prepared from the report (``build/portal/macros.json`` beside the docs);
Jinja does not re-read a macro's output, so record text inside it stays text.
"""
from __future__ import annotations

import json
from pathlib import Path

DATA_FILE = "macros.json"


def load(docs_dir: str | Path) -> dict:
    path = Path(docs_dir).parent / DATA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"没有找到 {path}；门户请用 yibao build 生成（它先生成页面和数据，再调用 MkDocs）")
    return json.loads(path.read_text(encoding="utf-8"))


def define_env(env) -> None:
    data = load(env.conf["docs_dir"])
    env.variables["yibao"] = data["variables"]

    @env.macro
    def kpi_cards(contract: str) -> str:
        """One contract's KPI cards: exactly the values of ``yibao report`` (its “考核指标” table)."""
        return data["kpi_cards"][contract]

    @env.macro
    def charts(contract: str) -> str:
        """One contract's charts (inline SVG drawn at build time)."""
        return data["charts"][contract]
