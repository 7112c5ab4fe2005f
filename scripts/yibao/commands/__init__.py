"""The subcommands, one module each; :data:`COMMANDS` lists them in the order ``yibao --help`` shows.

Each module has ``register(subparsers)`` (adds its parser and sets ``func``) and the function that
runs it, which takes a :class:`~yibao.commands.context.Context`.
"""
from . import archive, build, check_changes, codeowners, credit, diff, disclose, draw, evaluate, extrapolate, generate, manifest, new, report, sample, screen, validate

COMMANDS = (validate, check_changes, new, report, build, generate, diff, codeowners, draw, sample, extrapolate, screen, archive, manifest, credit, disclose, evaluate)
