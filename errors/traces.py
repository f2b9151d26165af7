"""Formatting traces: an exception's chained trace as ``traceback`` prints it (without the
position markers), the call stack, and an exception's dotted class name."""

import linecache
import traceback
from collections.abc import Sequence
from types import FrameType, TracebackType
from typing import Any

CAUSE_HEADER = "\nThe above exception was the direct cause of the following exception:\n\n"
CONTEXT_HEADER = "\nDuring handling of the above exception, another exception occurred:\n\n"
REPEAT_CUTOFF = 3  # as traceback folds recursion


def format_trace(exception: BaseException) -> str:
    """The full trace from the exception's own traceback, chained causes included, so it is
    right even when formatted outside the ``except`` block.

    It reads as ``traceback.format_exception`` does (file, line, function and source line of
    every frame, repeated frames folded, the chain in order, notes) without the ``^^^``
    position markers: to place them Python 3.11 parses every frame's source line, which cost
    more than storing the row. Exception groups and syntax errors, rare and drawn in shapes
    of their own, keep the standard formatting."""
    chain = exception_chain(exception)
    if any(isinstance(link, BaseExceptionGroup | SyntaxError) for link, _ in chain):
        return "".join(
            traceback.format_exception(type(exception), exception, exception.__traceback__)
        )
    parts: list[str] = []
    for link, header in reversed(chain):
        if header:
            parts.append(header)
        if link.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts += format_frames(link.__traceback__)
        parts += format_exception_only(link)
    return "".join(parts)


def exception_chain(exception: BaseException) -> list[tuple[BaseException, str | None]]:
    """The exception and the ones it was raised from or while handling, newest first, each
    with the header that introduces it after its cause; a cycle ends the chain."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None:
        seen.add(id(current))
        cause, context = current.__cause__, current.__context__
        if cause is not None and id(cause) not in seen:
            chain.append((current, CAUSE_HEADER))
            current = cause
        elif context is not None and id(context) not in seen and not current.__suppress_context__:
            chain.append((current, CONTEXT_HEADER))
            current = context
        else:
            chain.append((current, None))
            current = None
    return chain


def format_frames(tb: TracebackType) -> list[str]:
    """One traceback's frames, outermost first, as ``traceback`` prints them without the
    position markers; a frame repeated more than three times in a row (recursion) is
    folded into one line saying how often."""
    lines: list[str] = []
    checked: set[str] = set()
    last, count = None, 0
    current: TracebackType | None = tb
    while current is not None:
        frame = current.tb_frame
        filename, lineno, name = frame.f_code.co_filename, current.tb_lineno, frame.f_code.co_name
        current = current.tb_next
        if (filename, lineno, name) != last:
            if count > REPEAT_CUTOFF:
                lines.append(_repeated(count - REPEAT_CUTOFF))
            last, count = (filename, lineno, name), 0
        count += 1
        if count > REPEAT_CUTOFF:
            continue
        lines.append(f'  File "{filename}", line {lineno}, in {name}\n')
        if filename not in checked:  # a source file edited since it was cached is reread
            checked.add(filename)
            linecache.checkcache(filename)
        source = linecache.getline(filename, lineno, frame.f_globals) if lineno else ""
        if source.strip():
            lines.append(f"    {source.strip()}\n")
    if count > REPEAT_CUTOFF:
        lines.append(_repeated(count - REPEAT_CUTOFF))
    return lines


def _repeated(count: int) -> str:
    return f"  [Previous line repeated {count} more time{'s' if count > 1 else ''}]\n"


def format_exception_only(exception: BaseException) -> list[str]:
    """The last lines of a trace: the exception's type and text, then its notes."""
    cls = type(exception)
    name, module = cls.__qualname__, cls.__module__
    if module not in ("__main__", "builtins"):
        name = f"{module if isinstance(module, str) else '<unknown>'}.{name}"
    text = _safe_string(exception, "exception")
    lines = [f"{name}: {text}\n" if text else f"{name}\n"]
    notes = getattr(exception, "__notes__", None)
    if isinstance(notes, Sequence):
        for note in notes:
            lines += [line + "\n" for line in _safe_string(note, "note").split("\n")]
    elif notes is not None:
        lines.append(_safe_string(notes, "__notes__", convert=repr))
    return lines


def _safe_string(value: Any, what: str, convert=str) -> str:
    """What ``traceback`` prints for a value whose ``str()`` (or ``repr()``) raises."""
    try:
        return convert(value)
    except BaseException:
        return f"<{what} {convert.__name__}() failed>"


def format_call_stack(frame: FrameType | None) -> str:
    return "".join(traceback.format_stack(frame)) if frame is not None else ""


def dotted_class_name(exception: BaseException) -> str:
    cls = type(exception)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"
