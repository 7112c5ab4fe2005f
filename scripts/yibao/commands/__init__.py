"""Subcommands beyond ``validate``: one module each, registered with :func:`yibao.cli.extension`."""
from . import check_changes  # noqa: F401
from . import new  # noqa: F401
from . import report  # noqa: F401
from . import build  # noqa: F401
from . import generate  # noqa: F401
from . import diff  # noqa: F401
from . import codeowners  # noqa: F401
from . import bench  # noqa: F401
from . import draw  # noqa: F401
