"""Provisional fingerprint module (replaced by the full one)."""

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence

GROUPING_VERSION = 1
DEFAULT_PLACEHOLDER = "{{ default }}"
_INT = re.compile(r"(?<![\w.])-?\d+(?![\w.])")


def normalize_message(message: str) -> str:
    first = (message or "").strip().split("\n", 1)[0].strip()[:1000]
    return _INT.sub("<int>", first)


def culprit_for(exception: BaseException | None) -> str | None:
    from errors.context import innermost_project_frame

    try:
        frame = innermost_project_frame(getattr(exception, "__traceback__", None))
    except Exception:
        return None
    if frame is None:
        return None
    return f"{frame.f_globals.get('__name__', '')}.{frame.f_code.co_qualname}"


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    parts: tuple[str, ...]
    hash: str
    version: int


def default_fingerprint_parts(
    *, exception_type: str | None, culprit: str | None, message: str
) -> list[str]:
    return [
        f"type:{exception_type or ''}",
        f"culprit:{culprit or ''}",
        f"message:{normalize_message(message)}",
    ]


def logged_fingerprint_parts(*, logger_name: str, template: str) -> list[str]:
    return [f"logger:{logger_name}", f"message:{normalize_message(template)}"]


def build_fingerprint(
    default_parts: list[str], custom: Sequence[object] | None = None
) -> Fingerprint:
    parts = list(default_parts)
    if custom:
        if isinstance(custom, str):
            custom = [custom]
        parts = []
        for item in custom:
            text = str(item)
            if text.replace(" ", "") == "{{default}}":
                parts.extend(default_parts)
            else:
                parts.append(text)
    digest = hashlib.sha256(json.dumps([GROUPING_VERSION, parts]).encode()).hexdigest()
    return Fingerprint(tuple(parts), digest, GROUPING_VERSION)
