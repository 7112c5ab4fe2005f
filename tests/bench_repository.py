"""The benchmark's repository generator (``benchmarks/bench.py``, outside the package) for tests
that need generated records with a real git history."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_bench() -> ModuleType:
    """``benchmarks/bench.py`` as a module (loaded once)."""
    name = "yibao_benchmark"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / "bench.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def build_repository(target: Path, institutions: int, seed: int = 7) -> dict:
    """Generated records committed as a history (see ``bench.build_repository``)."""
    return load_bench().build_repository(target, institutions, seed)
