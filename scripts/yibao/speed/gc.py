"""The garbage-collector policy: when Python's cyclic collector runs, declared in one place.

Loading, checking and aggregating ~100k records creates millions of small objects and no
reference cycles; every full collection walks all of them, and those passes cost 10-35% of the
time. Reference counting still frees everything as usual.

Each command declares its policy (``GC`` in its module, see :mod:`yibao.commands`): ``"off"`` for a
command that runs once and exits, ``"on"`` for one that lives on (``serve``). :func:`apply` sets
it for the process; :func:`gc_paused` pauses the collector around one large build in a process
whose collector is on.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator, Literal

Policy = Literal["off", "on"]
POLICIES: tuple[Policy, ...] = ("off", "on")


def apply(policy: Policy) -> None:
    """Set the process's collector as a command declares it."""
    if policy not in POLICIES:
        raise ValueError(f"unknown GC policy {policy!r}; expected one of {POLICIES}")
    if policy == "off":
        gc.disable()
    else:
        gc.enable()


@contextmanager
def applied(policy: Policy) -> Iterator[None]:
    """The policy while a command runs; the collector as it was afterwards (a test that runs many
    commands in one process keeps its own)."""
    enabled = gc.isenabled()
    apply(policy)
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        else:
            gc.disable()


def before_exit() -> None:
    """Move every object to the permanent generation before a normal interpreter exit: a process
    that ran with the collector off holds millions of objects; freezing them spares the exit a
    last full collection over all of them (objects are still freed by reference counting)."""
    gc.freeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
