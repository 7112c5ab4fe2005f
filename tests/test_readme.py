"""The README stays true: its examples are real output, its commands exist, CI runs its test command."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import HOSPITAL, make_repo

from yibao import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
CI = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_error_example_is_real_output(tmp_path, yibao):
    example = _blocks("text")[0].strip()
    repo = make_repo(tmp_path)
    relpath = f"records/institution/{HOSPITAL}.yaml"
    text = (repo.root / relpath).read_text(encoding="utf-8")
    repo.write(relpath, text.replace("type: 定点医疗机构", "type: 定点医疗机"))
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 1
    assert example in run.out.splitlines()


def test_ci_runs_the_readme_test_command():
    commands = [line for block in _blocks("sh") for line in block.splitlines() if "pytest" in line]
    assert commands, "README names no test command"
    assert commands[0].strip() in CI


def test_every_command_in_the_readme_exists():
    parser = cli.build_parser()
    subcommands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public API
    named = set(re.findall(r"`yibao ([a-z][a-z-]*)", README))
    assert named, "README names no command"
    assert named <= subcommands, named - subcommands
