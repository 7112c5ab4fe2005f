"""An internal error: no traceback for users, the whole traceback for the maintainer who asks."""
from __future__ import annotations

import pytest

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
