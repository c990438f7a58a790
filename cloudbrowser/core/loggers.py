"""Loggers that import ``logging`` when a record is wanted, not when their module is.

``logging`` brings traceback, linecache, tokenize, string and more (~10 ms of every
command's start-up) for records that an ``ls`` of one object never makes. The modules on
that path (``core/paging.py``, ``core/interrupt.py``, ``backends/s3/fast.py``) log through
:func:`logger`. Until ``logging`` is imported nobody has configured it (configuring it
imports it), so its defaults stand: WARNING and above are wanted, DEBUG and INFO are not,
and asking costs nothing. A wanted record imports it and goes to ``logging.getLogger(name)``
naming the caller's line, as a logger of its own would.

:func:`after_import` lets a front end configure logging (the CLI's log file, opened at the
first warning) the moment anything imports it: one of these loggers, or any library.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import logging
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType

#: ``logging``'s levels, without importing it to name them.
DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40


def logger(name: str) -> Logger:
    """The logger ``name`` (``__name__``), importing ``logging`` at its first wanted record."""
    return Logger(name)


class Logger:
    """``logging.getLogger(name)``'s ``debug`` … ``exception`` and ``isEnabledFor``."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._logger: logging.Logger | None = None

    def isEnabledFor(self, level: int) -> bool:  # logging's name
        if self._logger is None and "logging" not in sys.modules:
            return level >= WARNING  # the root logger's level, which nobody has set yet
        return self._real().isEnabledFor(level)

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(DEBUG, msg, args, kwargs)

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(INFO, msg, args, kwargs)

    def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(WARNING, msg, args, kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self._log(ERROR, msg, args, kwargs)

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self._log(ERROR, msg, args, kwargs)

    def _log(self, level: int, msg: object, args: tuple[object, ...], kwargs: Any) -> None:
        if self.isEnabledFor(level):
            # The record names the line that called debug() & co., not these two frames.
            kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
            self._real().log(level, msg, *args, **kwargs)

    def _real(self) -> logging.Logger:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self.name)
        return self._logger


def after_import(then: Callable[[], None]) -> Callable[[], None]:
    """Call ``then`` once ``logging`` is imported: now if it is, else as soon as whoever
    imports it first has (before that import returns, so before any record is made).
    Returns what undoes the wait where ``logging`` was not imported meanwhile."""
    if "logging" in sys.modules:
        then()
        return lambda: None
    finder = _AfterImport(then)
    sys.meta_path.insert(0, finder)

    def undo() -> None:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)

    return undo


class _AfterImport:
    """An import finder that finds nothing itself: asked for ``logging``, it takes the spec
    the other finders give and has ``then`` called once the module has run."""

    def __init__(self, then: Callable[[], None]) -> None:
        self._then = then

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "logging":
            return None
        sys.meta_path.remove(self)  # once: the others find it from here on
        spec: ModuleSpec | None = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = cast("Loader", _ThenLoader(spec.loader, self._then))
        return spec


class _ThenLoader:
    """``loader`` (everything of it: source, resources…), then ``then``."""

    def __init__(self, loader: Any, then: Callable[[], None]) -> None:
        self._loader = loader
        self._then: Callable[[], None] | None = then

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        then, self._then = self._then, None  # once: not again at a reload
        if then is not None:
            then()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
