"""Module aliases that cost nothing until a command uses them.

Every command module is imported to build the command tree, even for ``evalledger --help``.
A command module that needs, say, :mod:`evalledger.ops.backup` declares

    if TYPE_CHECKING:
        from evalledger.ops import backup as backups
    else:
        backups = lazy_module("evalledger.ops.backup")

and its functions use ``backups.create(...)`` as before: the module (and SQLAlchemy behind it)
is executed at the first attribute access, i.e. when a command that needs it runs. This is the
recipe of the standard library's :class:`importlib.util.LazyLoader`; type checkers see the
real import.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """``name``, found now and executed on first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module
