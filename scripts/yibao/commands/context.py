"""What every command is handed: the parsed options and the repository they name.

Exit codes: 0 valid, 1 records invalid, 2 usage or internal error. A command raises
:class:`UsageError` for anything the user can fix by calling it differently.
"""
from __future__ import annotations

import argparse
import functools
from dataclasses import dataclass
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


@dataclass
class Context:
    """One run of one command: its options (``args``), and the repository root, schemas and check
    cache they lead to, each found on first use."""

    args: argparse.Namespace

    @functools.cached_property
    def root(self) -> Path:
        from ..load.repository import RepositoryNotFound, find_root

        try:
            return find_root(self.args.repo)
        except RepositoryNotFound as exc:
            raise UsageError(str(exc)) from None

    @functools.cached_property
    def schemas(self):
        from ..core.schemas import SchemaSet

        return SchemaSet.load(self.root / "schemas")

    def cache(self, schemas=None):
        """The check cache (kept outside the repository), unless ``--no-cache``."""
        if getattr(self.args, "no_cache", False):
            return None
        from ..speed.cache import Cache

        return Cache(self.root, (schemas or self.schemas).fingerprint)

    def relative(self, raw: str) -> str:
        """A user-given path as a repository path; relative to ``-C DIR`` when given, as git does."""
        path = Path(raw)
        base = self.args.repo
        absolute = path.resolve() if path.is_absolute() else (Path(base or Path.cwd()) / path).resolve()
        try:
            relative = absolute.relative_to(self.root).as_posix()
        except ValueError:
            raise UsageError(f"{raw} 不在仓库 {self.root} 内") from None
        if not absolute.exists():
            raise UsageError(f"文件不存在：{raw}")
        return relative


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true", help="不使用检查缓存（缓存在仓库之外，可随时删除）")
    parser.add_argument("-j", "--jobs", type=int, default=None, metavar="N", help="并行进程数（默认使用全部 CPU 核）")
