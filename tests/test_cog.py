"""README.md and ARCHITECTURE.md show real output: their cog blocks (``tests/cog_examples.py``)
regenerate it from the code, and ``cog --check`` fails when the documents differ.

Covered: the command table (``yibao --help``'s commands, in order), ``yibao validate`` on the demo,
the error for a typo, the start of ``yibao report --as-of 2024-10-15 --contract HT-2024-KLMY``, the
draw example's hashes, ``benchmarks/bench.py --help``, and in ARCHITECTURE.md the layer chain and
every module with its docstring. After changing any of these: ``cog -r README.md ARCHITECTURE.md``.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cogapp import Cog

import cog_examples

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
DOCUMENTS = ("README.md", "ARCHITECTURE.md")
FIX = "文档与实际输出不一致：在仓库根目录运行 cog -r README.md ARCHITECTURE.md 后提交"


def cog_check(*paths: Path) -> tuple[int, str]:
    """``cog --check`` on the files; (exit status, what cog printed)."""
    tool = Cog()
    messages: list[str] = []
    tool.set_output(stdout=_Sink(messages), stderr=_Sink(messages))
    status = tool.main(["cog", "--check", "--diff", "--check-fail-msg", FIX, "-I", str(TESTS), *map(str, paths)])
    return status, "".join(messages)


class _Sink:
    def __init__(self, into: list[str]):
        self.into = into

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        pass


def test_readme_and_architecture_are_real_output():
    status, said = cog_check(*(ROOT / name for name in DOCUMENTS))
    assert status == 0, said


def test_every_document_has_cog_blocks_in_html_comments():
    for name in DOCUMENTS:
        text = (ROOT / name).read_text(encoding="utf-8")
        starts, ends = text.count("<!-- [[[cog"), text.count("<!-- [[[end]]] -->")
        assert starts and starts == ends, name
        assert text.count("]]] -->") == starts + ends, name  # every marker closes its comment: nothing shows on GitHub


@pytest.mark.parametrize("document, pattern", [
    ("README.md", r"检查通过：(\d+) 个记录文件"),  # validate on the demo
    ("README.md", r"\| `yibao diff (BASE HEAD)` \|"),  # the command table
    ("README.md", r"error\[unknown-term\] (机构类型)"),  # the typo's error
    ("README.md", r"现场检查率 +(\d+\.\d+)%"),  # the report
    ("README.md", r"# (0e35dc3d)"),  # the draw example
    ("README.md", r"--no-peers +(不运行对照工具)"),  # the benchmark's options
    ("README.md", r"- `yibao.core` — (`archive`)"),  # the layers in the layout section
    ("ARCHITECTURE.md", r"- `yibao.core.(clock)` —"),  # the module list
    ("ARCHITECTURE.md", r"(core ← load ← check)"),  # the layers
])
def test_a_document_that_differs_from_real_output_fails(tmp_path, document, pattern):
    text = (ROOT / document).read_text(encoding="utf-8")
    found = re.search(pattern, text)
    assert found, f"{document} no longer matches {pattern!r}: update this test"
    real = found.group(1)
    tampered = text[:found.start(1)] + real[:-1] + ("7" if real[-1] != "7" else "8") + text[found.end(1):]
    copy = tmp_path / document
    copy.write_text(tampered, encoding="utf-8")
    status, said = cog_check(copy)
    assert status != 0 and FIX in said, said
    assert found.group(0) in said  # the diff shows the real output


def test_the_module_list_cannot_leave_a_module_out(tmp_path):
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^- `(yibao[\w.]*)` —", text, flags=re.M))
    assert listed == {name for name, _ in cog_examples.modules()}
    package = ROOT / "scripts" / "yibao"
    assert {"yibao.cli", "yibao.core.record", "yibao.commands.validate"} <= listed
    assert len(listed) == sum(1 for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_command_table_cannot_miss_or_invent_a_command():
    from yibao import cli

    commands = [a for a in cli.build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"][0].choices  # noqa: SLF001
    notes = {name: (name, "y") for name in commands}
    assert {"validate", "report", "serve", "draw"} <= set(notes)
    table = cog_examples.command_table(notes)
    assert table.count("\n| `yibao ") == len(notes)
    with pytest.raises(ValueError, match="undocumented"):
        cog_examples.command_table({k: v for k, v in notes.items() if k != "validate"})
    with pytest.raises(ValueError, match="not a command"):
        cog_examples.command_table({**notes, "bench": ("bench", "the old benchmark")})


def test_the_draw_example_is_what_sha256sum_prints(tmp_path):
    """The README's shell loop, run for real, prints the lines the cog block wrote."""
    import subprocess

    if shutil.which("sha256sum") is None:  # coreutils
        pytest.fail("sha256sum is missing")
    script, _ = cog_examples.draw_example("2024-06-03 上证综指收盘 3078.49", ["H65020300001", "H65020300002", "H65020300003"])
    commands = "\n".join(line for line in script.splitlines() if not line.startswith("#"))
    out = subprocess.run(["bash", "-c", commands], capture_output=True, text=True, check=True).stdout
    expected = [line[2:] for line in script.splitlines() if line.startswith("# ")]
    assert out.splitlines()[:3] == expected
    digest = out.splitlines()[3].split()[0]
    assert f"{digest[:8]}…{digest[-9:]}" in script
