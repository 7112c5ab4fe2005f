"""What the cog blocks in README.md and ARCHITECTURE.md print: real output of the real code.

``cog -r README.md ARCHITECTURE.md`` (from the checkout's root) rewrites the generated parts;
``tests/test_cog.py`` runs ``cog --check`` so the documents fail the suite when they drift from the
code. Each function returns the text to put in the document, without a trailing newline.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scripts" / "yibao"
COLUMNS = "100"  # argparse wraps help text to the terminal width: the documents use a fixed one


def run(*args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None, expect: int | None = 0) -> str:
    """Standard output of a command run in a child process (text, trailing newline dropped)."""
    full_env = {**os.environ, "COLUMNS": COLUMNS, "NO_COLOR": "1", **(env or {})}
    done = subprocess.run(list(args), cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600)
    if expect is not None and done.returncode != expect:
        raise RuntimeError(f"{' '.join(args)}: exit {done.returncode}, expected {expect}\n{done.stderr[-2000:]}")
    return done.stdout.rstrip("\n")


def yibao(*args: str, cwd: Path = ROOT, cache: Path | None = None, expect: int | None = 0) -> str:
    """``yibao ARGS`` as a user runs it; verdicts are cached in ``cache`` (default: none kept)."""
    with tempfile.TemporaryDirectory(prefix="yibao-cog-cache-") as scratch:
        return run(sys.executable, "-m", "yibao", *args, cwd=cwd, expect=expect,
                   env={"YIBAO_CACHE_DIR": str(cache or scratch)})


# -- README.md ------------------------------------------------------------------------------------
def command_table(notes: Mapping[str, tuple[str, str]]) -> str:
    """The command table: one row per subcommand in ``yibao --help`` order, from the real parser.

    ``notes`` maps each command to (how it is called, what it does). A command the parser has and
    ``notes`` lacks, or the other way round, is an error: the table can list no more and no fewer
    commands than ``yibao`` has."""
    from yibao import cli

    parser = cli.build_parser()
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]  # noqa: SLF001
    commands = list(actions[0].choices)
    missing, extra = [c for c in commands if c not in notes], [c for c in notes if c not in commands]
    if missing or extra:
        raise ValueError(f"README command table out of step with yibao: undocumented {missing}, not a command {extra}")
    rows = ["| command | what it does |", "| --- | --- |"]
    rows += [f"| `yibao {notes[c][0]}` | {notes[c][1]} |" for c in commands]
    return "\n".join(rows)


def _demo_copy(target: Path) -> Path:
    """The demo repository's records and schemas, copied (no git: the files are listed from disk)."""
    for name in ("records", "schemas"):
        shutil.copytree(ROOT / name, target / name)
    return target


def validate_demo() -> str:
    """``yibao validate`` on the demo records (a copy, so the user's cache is left alone)."""
    with tempfile.TemporaryDirectory(prefix="yibao-cog-") as tmp:
        return yibao("validate", cwd=_demo_copy(Path(tmp)))


def typo_error(relpath: str, old: str, new: str) -> str:
    """The line ``yibao validate`` prints for ``relpath`` after a one-word typo (``old`` → ``new``)."""
    with tempfile.TemporaryDirectory(prefix="yibao-cog-") as tmp:
        repo = _demo_copy(Path(tmp))
        path = repo / relpath
        text = path.read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise ValueError(f"{relpath} should hold {old!r} once")
        path.write_text(text.replace(old, new), encoding="utf-8")
        out = yibao("validate", cwd=repo, expect=1)
    lines = [line for line in out.splitlines() if line.startswith(f"{relpath}:")]
    if len(lines) != 1:
        raise ValueError(f"expected one error for {relpath}, got: {out}")
    return lines[0]


def report_excerpt(*args: str, lines: int) -> str:
    """The first ``lines`` lines of ``yibao report ARGS`` on the demo."""
    with tempfile.TemporaryDirectory(prefix="yibao-cog-") as tmp:
        out = yibao("report", *args, cwd=_demo_copy(Path(tmp)))
    return "\n".join(line.rstrip() for line in out.splitlines()[:lines])


def draw_example(seed: str, ids: list[str]) -> tuple[str, str]:
    """The draw example by hand: the shell loop with its real output (``sha256sum`` prints what
    :func:`yibao.core.draw.rank_key` computes), and the sentence naming the draw order."""
    from yibao.core import draw

    keyed = [(draw.rank_key(seed, i), i) for i in ids]
    range_digest = draw.ids_sha256(ids)
    script = [f'seed="{seed}"', f"for id in {' '.join(ids)}; do",
              """  echo "$(printf '%s\\n%s' "$seed" "$id" | sha256sum | cut -d' ' -f1)  $id\"""", "done"]
    script += [f"# {key}  {ident}" for key, ident in keyed]
    fmt = "\\n".join(["%s"] * len(ids))  # printf's %s\n%s\n%s: no newline after the last
    script.append(f"printf '{fmt}' {' '.join(ids)} | sha256sum   # 范围 SHA-256：{range_digest[:8]}…{range_digest[-9:]}")
    order = draw.rank(seed, ids)
    chosen = order[:2]
    words = "、".join(f"`{dict((i, k) for k, i in keyed)[i][:4]}…`（{i}）" for i in order)
    sentence = f"从小到大：{words}，抽中 {chosen[0]} 和 {chosen[1]}。"
    return "\n".join(script), sentence


def draw_inspectors_example(draw_id: str, target: str) -> tuple[str, str]:
    """One target's inspectors of a demo draw by hand: who is left out (declared conflicts, the last
    inspectors when the draw says so), the shell loop over the rest with its real output in draw
    order, and the sentence taking the required roles first and then the top of the rest."""
    import yaml

    from yibao.check.draws import status_terms
    from yibao.core import draw
    from yibao.core.record import Record
    from yibao.core.schemas import SchemaSet

    def records(kind):
        return [Record(kind, p.relative_to(ROOT).as_posix(), yaml.safe_load(p.read_text(encoding="utf-8")))
                for p in sorted((ROOT / "records" / kind).rglob("*.yaml"))]

    record = yaml.safe_load((ROOT / f"records/draw/{draw_id}.yaml").read_text(encoding="utf-8"))
    seed, day = record["seed"], record["date"]
    staff = records("staff")
    pool = draw.pool_of(record["contract"], staff, day)
    members = [p for p in staff if p.id in pool]
    declared = draw.declared_conflicts(members, day).get(target, [])
    schemas = SchemaSet.load(ROOT / "schemas")
    skipped = [*status_terms(schemas, "inspection", "x-withdrawn"), *status_terms(schemas, "inspection", "x-planned")]
    last = draw.last_inspectors(records("inspection"), day, skipped).get(target, []) if record["pool"].get("exclude_last_inspectors") else []
    eligible = [p for p in pool if p not in declared and p not in last]
    inspector_seed = draw.inspector_seed(seed, target)
    keyed = sorted((draw.rank_key(inspector_seed, p), p) for p in eligible)
    script = [f'seed="{seed}"; target={target}', f"for id in {' '.join(eligible)}; do",
              """  echo "$(printf '%s\\ninspectors\\n%s\\n%s' "$seed" "$target" "$id" | sha256sum | cut -d' ' -f1)  $id\"""",
              "done | sort"]
    script += [f"# {key}  {ident}" for key, ident in keyed]
    roles = {p.id: p.get("role") for p in members}
    required = [(r["role"], r["min"]) for r in record["pool"].get("roles") or []]
    chosen = draw.pick_inspectors(seed, target, eligible, record["pool"]["min_per_target"], roles, required)
    left_out = [f"{p}（{'、'.join(why for why, ids in (('上次检查该机构', last), ('申报回避', declared)) if p in ids)}）"
                for p in pool if p in last or p in declared]
    steps = [f"先取排在最前的 {n} 名{role}" for role, n in required] + ["再从其余人员中按顺序补足"]
    sentence = (f"人员库 {len(pool)} 人，{'剔除 ' + '、'.join(left_out) + '后' if left_out else ''}可抽 {len(eligible)} 人；"
                f"从小到大排列后{'，'.join(steps)}每家 {record['pool']['min_per_target']} 人：抽中 {'、'.join(chosen)}"
                f"（按排列顺序记录）。")
    return "\n".join(script), sentence


def bench_help() -> str:
    """``python3 benchmarks/bench.py --help``."""
    return run(sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--help")


# -- ARCHITECTURE.md ------------------------------------------------------------------------------
def layers() -> list[str]:
    """The layer contract from pyproject.toml, lowest layer first."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "layers":  # names relative to the container, when there is one
            prefix = "".join(f"{c}." for c in contract.get("containers", [])[:1])
            return [" | ".join(prefix + m.strip() for m in layer.split("|")) for layer in reversed(contract["layers"])]
    raise ValueError("pyproject.toml has no layers contract")


def first_docstring_line(path: Path) -> str:
    """The docstring's first sentence (a sentence wrapped over two lines is kept whole)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not doc:
        return "(no module docstring)"
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    line = re.split(r"(?<=[.。])\s", paragraph, maxsplit=1)[0]
    line = re.sub(r":[a-z]+:`~?([^`]+)`", r"``\1``", line)  # Sphinx roles to code
    return line.replace("``", "`").replace("|", "\\|")


def modules() -> list[tuple[str, str]]:
    """Every module of the package (a package by its ``__init__``), sorted, with the first sentence of its docstring."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, first_docstring_line(path)))
    return sorted(found)


def layer_of(module: str, layer_names: list[str]) -> str:
    for layer in layer_names:
        for member in (m.strip() for m in layer.split("|")):
            if module == member or module.startswith(member + "."):
                return layer
    return "yibao"


def module_list() -> str:
    """Every module, grouped by layer (lowest first), one line each: name — first docstring line."""
    names = layers()
    grouped: dict[str, list[tuple[str, str]]] = {layer: [] for layer in [*names, "yibao"]}
    for module, line in modules():
        grouped[layer_of(module, names)].append((module, line))
    out = []
    for layer, members in grouped.items():
        if not members:
            continue
        title = " · ".join(f"`{m.strip()}`" for m in layer.split("|")) if layer != "yibao" else "the package itself"
        out += ["", f"### {title}", ""]
        out += [f"- `{module}` — {line}" for module, line in members]
    return "\n".join(out).strip("\n")


def layer_chain() -> str:
    """The layers as one line, lowest first: ``core ← load ← …``."""
    short = [" / ".join(m.strip().removeprefix("yibao.") for m in layer.split("|")) for layer in layers()]
    return " ← ".join(short)



def layer_summary() -> str:
    """One bullet per layer, lowest first, naming its modules (for the README; ARCHITECTURE.md has a line each)."""
    names = layers()
    grouped: dict[str, list[str]] = {layer: [] for layer in names}
    for module, _ in modules():
        layer = layer_of(module, names)
        if layer in grouped and "." in module:
            grouped[layer].append(module)
    unlayered = [m for m, _ in modules() if layer_of(m, names) == "yibao" and m != "yibao"]
    out = []
    for layer, members in grouped.items():
        title = " / ".join(f"`{m.strip()}`" for m in layer.split("|"))
        parts = [x.strip() for x in layer.split("|")]
        inner = [m for m in members if m not in parts]
        prefix = parts[0] + "." if len(parts) == 1 else "yibao."  # a layer of one package: its modules' own names
        if inner:
            shown = ", ".join(f"`{m.removeprefix(prefix)}`" for m in inner)
            out.append(f"- {title} — {shown}")
        else:
            out.append(f"- {title}")
    if unlayered:
        out.append("- in no layer of the contract yet — " + ", ".join(f"`{m}`" for m in unlayered))
    return "\n".join(out)
