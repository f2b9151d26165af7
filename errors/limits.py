"""Bounding and sanitising what an error carries, so hostile input is stored, never rejected.

Every text is cut to a configurable length (a marker shows where; the original length goes in
``data["truncated"]``), lone surrogates become U+FFFD (no database encodes them), and NUL
characters are replaced by U+2400 (the visible "SYMBOL FOR NULL") on databases that refuse them
in text and JSON (PostgreSQL). SQLite stores NUL, so there the text round-trips unchanged.

All of it is linear and cheap on the common path: an ASCII text within its limit is returned
as it came after two C-level checks.
"""

import dataclasses
import json
from typing import Any

from errors.conf import app_errors_setting
from errors.json_values import safe_str

TRUNCATION_MARKER = "…[truncated]"
NUL_MARKER = "\u2400"
# The widest integers both databases keep as JSON numbers (64-bit signed).
MIN_JSON_INT, MAX_JSON_INT = -(2**63), 2**63 - 1
# How far past its limit a context text is kept for the scrubber: a secret straddling the
# final cut is still seen whole, and filtered, before the text is cut to its limit.
SCRUB_MARGIN = 1024
# How much context text is read at most, in multiples of MAX_CONTEXT_LENGTH; past it only
# texts up to SHORT_TEXT characters are kept for the scrubber (see cut_for_scrubbing).
READ_AHEAD, SHORT_TEXT = 2, 64


@dataclasses.dataclass(frozen=True)
class Limits:
    """The configured sizes, in characters, read once per stored error."""

    message: int
    trace: int
    context_value: int
    context: int
    keep_nul: bool

    @classmethod
    def for_vendor(cls, vendor: str) -> "Limits":
        return cls(
            message=app_errors_setting("MAX_MESSAGE_LENGTH"),
            trace=app_errors_setting("MAX_TRACE_LENGTH"),
            context_value=app_errors_setting("MAX_CONTEXT_VALUE_LENGTH"),
            context=app_errors_setting("MAX_CONTEXT_LENGTH"),
            keep_nul=vendor == "sqlite",
        )


def sanitize_text(text: str, *, keep_nul: bool) -> str:
    """Text every database accepts: lone surrogates replaced, NUL replaced unless kept."""
    if text.isascii():
        return text if keep_nul or "\x00" not in text else text.replace("\x00", NUL_MARKER)
    if not keep_nul and "\x00" in text:
        text = text.replace("\x00", NUL_MARKER)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Surrogate pairs written as two halves are joined; a lone half becomes U+FFFD.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def bound_text(text: str, limit: int, *, keep_nul: bool) -> tuple[str, int | None]:
    """The sanitised text cut to ``limit`` characters, and its original length when cut."""
    if len(text) <= limit:
        return sanitize_text(text, keep_nul=keep_nul), None
    cut = max(limit - len(TRUNCATION_MARKER), 0)
    return sanitize_text(text[:cut], keep_nul=keep_nul) + TRUNCATION_MARKER, len(text)


def bound_column(value: str | None, max_length: int, *, keep_nul: bool) -> str | None:
    """A value for a CharField: sanitised and cut to the column size, so the insert fits;
    what cannot be read as text is its repr or a placeholder."""
    if value is None:
        return None
    return sanitize_text(safe_str(value)[:max_length], keep_nul=keep_nul)


def bound_json(value: Any, limits: Limits, cuts: list[int] | None = None) -> Any:
    """JSON-safe data (as ``to_json_safe`` returns it) with every string sanitised and cut to
    the per-value limit, keys included, and integers too wide for the databases as text.
    The characters cut away are added to ``cuts``."""
    if isinstance(value, str):
        text, original = bound_text(value, limits.context_value, keep_nul=limits.keep_nul)
        if original is not None and cuts is not None:
            cuts.append(original - len(text))
        return text
    if isinstance(value, dict):
        return {
            bound_json(key, limits, cuts): bound_json(item, limits, cuts)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [bound_json(item, limits, cuts) for item in value]
    if isinstance(value, int) and not MIN_JSON_INT <= value <= MAX_JSON_INT:
        return f"<integer of {value.bit_length()} bits>"
    return value


def cut_for_scrubbing(value: Any, limits: Limits, cuts: list[int]) -> Any:
    """JSON-safe data cut down before it is scrubbed and serialized, so a 20 MB context
    costs what a small one does: the scrubber's patterns, the JSON encoder and the sanitiser
    never read the rest. The characters cut away are added to ``cuts``.

    Every text longer than its limit (keys included) is cut to the limit plus SCRUB_MARGIN.
    Once the texts read add up to READ_AHEAD times the whole context's limit (more than
    can be stored), each further text longer than SHORT_TEXT is replaced by the truncation
    marker whole, never in part: half a secret would pass the scrubber."""
    budget = [READ_AHEAD * limits.context]
    return _cut(value, limits.context_value + SCRUB_MARGIN, budget, cuts)


def _cut(value: Any, longest: int, budget: list[int], cuts: list[int]) -> Any:
    if isinstance(value, str):
        kept = min(len(value), longest)
        if kept > SHORT_TEXT and kept > budget[0]:
            cuts.append(len(value) - len(TRUNCATION_MARKER))
            return TRUNCATION_MARKER
        budget[0] -= kept
        if kept < len(value):
            cuts.append(len(value) - kept)
            return value[:kept]
        return value
    if isinstance(value, dict):
        return {
            _cut(key, longest, budget, cuts): _cut(item, longest, budget, cuts)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_cut(item, longest, budget, cuts) for item in value]
    return value


def bound_context(
    context: dict[str, Any], limits: Limits, cuts: list[int] | None = None
) -> tuple[dict[str, Any], int | None]:
    """The context within the limits: long strings cut, then whole entries kept in order
    while the total fits and the rest replaced by a marker with their size. Returns the
    context and, when anything was cut (here, or before as ``cuts`` says), its original
    length (characters of JSON)."""
    cuts = cuts if cuts is not None else []
    return fit_context(bound_json(context, limits, cuts), limits, cuts)


def fit_context(
    bounded: dict[str, Any], limits: Limits, cuts: list[int]
) -> tuple[dict[str, Any], int | None]:
    """A bounded context (``bound_json``'s) within the whole context's limit: whole entries
    kept in order while the total fits, the rest replaced by a marker with their size; and
    its original length when anything was cut, here or before (``cuts``)."""
    sizes = {key: len(json.dumps(item)) + len(key) + 6 for key, item in bounded.items()}
    total = sum(sizes.values())
    if total <= limits.context:
        return bounded, (total + sum(cuts)) if cuts else None
    kept: dict[str, Any] = {}
    budget = limits.context
    for key, item in bounded.items():
        if sizes[key] <= budget:
            kept[key] = item
            budget -= sizes[key]
        elif budget > len(key) + 64:
            kept[key] = f"{TRUNCATION_MARKER} {sizes[key]} characters"
            budget -= len(kept[key]) + len(key) + 6
        else:
            kept[TRUNCATION_MARKER] = f"{len(bounded) - len(kept)} more entries"
            break
    return kept, total + sum(cuts)
