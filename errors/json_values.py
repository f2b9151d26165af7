"""Turning whatever the caller hands us into something JSON can hold, without ever raising."""

import dataclasses
import datetime
import decimal
import enum
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from django.db import models

from errors.traces import dotted_class_name

MAX_DEPTH = 20


def safe_str(value: Any) -> str:
    """``str(value)`` that cannot raise and is a plain ``str``: a str subclass gives the text
    it holds (its methods may be overridden to raise); otherwise falls back to repr, then to
    a placeholder naming the type."""
    if issubclass(type(value), str):
        return str.__str__(value)
    for convert in (str, repr):
        try:
            text = convert(value)
            return str.__str__(text)
        except Exception:
            continue
    return f"<unprintable {type(value).__name__}>"


def to_json_safe(value: Any, *, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> Any:
    """Convert any value into JSON-compatible data, never rejecting it: UUIDs, dates and
    decimals become strings, sets sorted lists, model instances a labelled reference, cycles
    and excessive depth a marker, and anything else its string form. A value that raises
    while being read (a property, ``items()``, even ``__class__``) becomes its string form
    or a placeholder, and only that value: the rest of the context is kept."""
    if value is None or type(value) in (bool, int, str):
        return value
    try:
        return _convert_to_json_safe(value, _depth, _seen)
    except Exception:
        return safe_str(value)


def _convert_to_json_safe(value: Any, _depth: int, _seen: frozenset[int]) -> Any:
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if _depth >= MAX_DEPTH:
        return "<max depth reached>"
    if isinstance(value, uuid.UUID | decimal.Decimal | PurePath):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_json_safe(value.value, _depth=_depth + 1, _seen=_seen)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, models.Model):
        return {"model": value._meta.label, "pk": safe_str(value.pk), "repr": safe_str(value)}
    if isinstance(value, BaseException):
        return f"{dotted_class_name(value)}: {safe_str(value)}"
    if id(value) in _seen:
        return "<cycle>"
    seen = _seen | {id(value)}
    if isinstance(value, Mapping):
        return {
            safe_str(key): to_json_safe(item, _depth=_depth + 1, _seen=seen)
            for key, item in list(value.items())
        }
    if isinstance(value, set | frozenset):
        items = [to_json_safe(item, _depth=_depth + 1, _seen=seen) for item in value]
        return sorted(items, key=safe_str)
    if isinstance(value, list | tuple):
        return [to_json_safe(item, _depth=_depth + 1, _seen=seen) for item in list(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json_safe(dataclasses.asdict(value), _depth=_depth + 1, _seen=seen)
    return safe_str(value)
