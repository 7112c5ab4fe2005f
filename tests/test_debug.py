"""An internal error: no traceback for users, the whole traceback for the maintainer who asks."""
from __future__ import annotations

import pytest
from pathlib import Path

from yibao import cli
from yibao.commands import validate


@pytest.fixture
def broken(monkeypatch):
    def boom(args):
        raise RuntimeError("planted internal error")

    monkeypatch.setattr(validate, "run", boom)
    monkeypatch.delenv("YIBAO_DEBUG", raising=False)


def test_internal_error_without_debug_has_no_traceback(broken, capsys, tmp_path):
    assert cli.main(["-C", str(tmp_path), "validate"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "内部错误" in err and "RuntimeError" in err and "--debug" in err


def test_debug_flag_shows_the_traceback(broken, capsys, tmp_path):
    assert cli.main(["--debug", "-C", str(tmp_path), "validate"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "planted internal error" in err and "boom" in err


def test_debug_environment_variable_shows_the_traceback(broken, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("YIBAO_DEBUG", "1")
    assert cli.main(["-C", str(tmp_path), "validate"]) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_each_command_declares_its_collector_policy():
    parser = cli.build_parser()
    assert parser.parse_args(["validate"]).gc == "off"  # runs once and exits
    assert parser.parse_args(["report"]).gc == "off"
    assert parser.parse_args(["serve"]).gc == "on"  # lives on


def test_the_policy_holds_while_the_command_runs_and_is_given_back(monkeypatch, tmp_path):
    import gc

    seen = []
    monkeypatch.setattr(validate, "run", lambda ctx: seen.append(gc.isenabled()) or 0)
    gc.enable()
    assert cli.main(["-C", str(tmp_path), "validate"]) == 0
    assert seen == [False] and gc.isenabled()


def test_a_checks_internal_error_shows_its_traceback_with_debug(monkeypatch, capsys):
    from yibao.check import runner

    def broken_rule(record, schemas, findings):
        raise RuntimeError("planted rule bug")

    monkeypatch.setattr(runner, "FILE_CHECKS", (*runner.FILE_CHECKS, broken_rule))
    monkeypatch.delenv("YIBAO_DEBUG", raising=False)
    project = Path(__file__).resolve().parent.parent
    assert cli.main(["-C", str(project), "validate", "--no-cache", "records/contract/HT-2024-KLMY.yaml"]) == 2
    plain = capsys.readouterr()
    assert "internal-error" in plain.out and "Traceback" not in plain.err
    assert cli.main(["--debug", "-C", str(project), "validate", "--no-cache", "records/contract/HT-2024-KLMY.yaml"]) == 2
    debug = capsys.readouterr()
    assert "Traceback" in debug.err and "planted rule bug" in debug.err
    assert "YIBAO_DEBUG" not in __import__("os").environ  # given back after the run


def test_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    project = Path(__file__).resolve().parent.parent
    done = subprocess.run(f"'{sys.executable}' -m yibao report --as-of 2024-10-15 | head -1", shell=True, cwd=project,
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.startswith("项目") and "Traceback" not in done.stderr and "Exception" not in done.stderr
