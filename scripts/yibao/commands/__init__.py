"""Subcommands beyond ``validate``: one module each, registered with :func:`yibao.cli.extension`."""
