"""Where a frame runs: the app, the project-relative file and the function of the code that
called us, and which frames of a traceback are the project's own code."""

import dataclasses
import functools
import importlib
import os
import sys
import sysconfig
from pathlib import Path, PurePath
from types import FrameType, TracebackType

from django.apps import apps

from errors.conf import app_errors_setting

ERRORS_PACKAGE_DIR = os.path.dirname(os.path.realpath(importlib.import_module("errors").__file__))


@dataclasses.dataclass(frozen=True)
class CallerLocation:
    app: str | None
    file: str | None
    function: str | None


def describe_frame(frame: FrameType) -> CallerLocation:
    """Where a frame runs: the owning Django app label (else the top-level package), the file
    relative to the project root in POSIX form, and the qualified function name."""
    module = frame.f_globals.get("__name__") or ""
    path = frame.f_code.co_filename
    return CallerLocation(
        app=app_label_for_module(module, path),
        file=project_relative_path(path),
        function=frame.f_code.co_qualname,
    )


def app_label_for_module(module: str, path: str) -> str | None:
    if module and module != "__main__":
        config = apps.get_containing_app_config(module)
        if config is not None:
            return config.label
        return module.split(".")[0]
    stem = PurePath(path).stem
    return stem or None


def project_relative_path(path: str) -> str:
    return _relative_path(path, app_errors_setting("PROJECT_ROOT"))


@functools.lru_cache(maxsize=1024)
def _relative_path(path: str, root: str | PurePath | None) -> str:
    """Cached: resolving a path asks the file system, and errors come from the same few
    files again and again."""
    candidate = Path(path)
    if root is not None and candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return candidate.as_posix()


def innermost_project_frame(tb: TracebackType | None) -> FrameType | None:
    """The deepest traceback frame in the project's own code (see ``is_project_file``):
    where an exception really came from, past Django, libraries and the standard library."""
    root = app_errors_setting("PROJECT_ROOT")
    root_key = None if root is None else str(root)
    found = None
    while tb is not None:
        if is_project_file(tb.tb_frame.f_code.co_filename, root_key):
            found = tb.tb_frame
        tb = tb.tb_next
    return found


# Folders below the project root that hold installed code, not the project's own.
LIBRARY_FOLDERS = frozenset({"site-packages", "dist-packages", ".venv", "venv"})


@functools.lru_cache(maxsize=4096)
def is_project_file(filename: str, root: str | None) -> bool:
    """Whether code from ``filename`` is the project's own: a real file under ``root`` (any
    file when there is no root), not below a ``site-packages``, ``dist-packages``, ``.venv``
    or ``venv`` folder, not under the interpreter's prefixes or standard library, and not
    the errors app itself (a library the project plugs in, vendored or installed). Tests
    count. Cached: every persisted error asks this of each frame of its traceback, and the
    same few files come back again and again."""
    if not filename or filename.startswith("<"):  # <frozen ...>, <string>, <stdin>
        return False
    path = os.path.realpath(filename)
    root_path = None if root is None else os.path.realpath(root)
    if root_path is not None:
        if not _is_within(path, root_path):
            return False
        below_root = os.path.relpath(path, root_path).split(os.sep)
    else:
        below_root = path.split(os.sep)
    if LIBRARY_FOLDERS.intersection(below_root[:-1]):
        return False
    excluded = [ERRORS_PACKAGE_DIR, *_interpreter_paths()]
    return not any(
        _is_within(path, folder)
        for folder in excluded
        if root_path is None or not _is_within(root_path, folder)  # a project inside a prefix
    )


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@functools.cache
def _interpreter_paths() -> tuple[str, ...]:
    """Where the interpreter keeps its own and installed code: the virtualenv's and the base
    installation's prefixes, the standard library and site-packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    scheme = sysconfig.get_paths()
    paths.update(scheme[name] for name in ("stdlib", "platstdlib", "purelib", "platlib"))
    return tuple(sorted({os.path.realpath(path) for path in paths if path}))


def current_frame(depth: int) -> FrameType | None:
    """The frame ``depth`` levels above the one calling this function."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None
