"""The caller's context made storable in one walk: converted to JSON, cut before scrubbing,
scrubbed of secrets and bounded, each value as it is reached.

What each step does is defined by ``to_json_safe`` (errors.json_values), ``cut_for_scrubbing``
and ``bound_context`` (errors.limits) and ``scrub`` (errors.scrubbing). Run one after the
other they walk the context four times, about 0.4 ms of a 2 ms write for a 3.5 KB invoice;
this walk gives the same context and the same truncated length in one pass. Where one pass
cannot simply be the same it steps aside: a value of an unusual type (a set, a model
instance, a dataclass, an enum, a mapping subclass) is converted by ``to_json_safe`` first
and its result walked; and a context in which two keys of a mapping become one only once
cut or sanitised (the later value would then replace the earlier half-way through the
steps) goes through the four steps in turn (``four_steps``).
"""

import functools
import re
from typing import Any

from errors.json_values import MAX_DEPTH, safe_str, to_json_safe
from errors.limits import (
    MAX_JSON_INT,
    MIN_JSON_INT,
    READ_AHEAD,
    SCRUB_MARGIN,
    SHORT_TEXT,
    TRUNCATION_MARKER,
    Limits,
    bound_context,
    bound_text,
    cut_for_scrubbing,
    fit_context,
    sanitize_text,
)
from errors.scrubbing import (
    FILTERED,
    PLAIN,
    SCRUB_MIN_LENGTH,
    SECRET,
    key_kind,
    remembered_key_kinds,
    scrub,
    scrub_query_string,
    scrub_text,
    secret_key_pattern,
)

MARKER_LENGTH = len(TRUNCATION_MARKER)
MAX_DEPTH_TEXT, CYCLE_TEXT = "<max depth reached>", "<cycle>"
TEXT_ONLY = frozenset({str})


def storable_context(additional_context: Any, limits: Limits) -> tuple[dict[str, Any], int | None]:
    """The context as it is stored, and its original length (characters of JSON) when
    anything was cut: what ``four_steps`` gives. Never raises for what the caller hands
    in: a mapping that cannot be read is stored as ``unreadable_context``."""
    try:
        context = dict(additional_context)
    except Exception as problem:  # a mapping whose items() raises still gives a row
        return bound_context(_unreadable(problem), limits, [])
    try:
        return walked_context(context, limits)
    except Exception:  # keys that merge half-way, or anything unforeseen
        return four_steps(context, limits)


def walked_context(context: dict[str, Any], limits: Limits) -> tuple[dict[str, Any], int | None]:
    """``four_steps`` in one walk; raises KeysMerged where the two would differ."""
    walk = _Walk(limits)
    bounded = walk.mapping(context, 1, {id(context)}, raw=True, whole=True)
    if not walk.cuts and walk.json_length_at_most() <= limits.context:
        return bounded, None  # what fit_context returns for it, without encoding it
    return fit_context(bounded, limits, walk.cuts)


def four_steps(context: dict[str, Any], limits: Limits) -> tuple[dict[str, Any], int | None]:
    """Each step over the whole context in turn: the reference ``storable_context``
    gives the same result as, and its way for what one walk cannot do alike."""
    cuts: list[int] = []
    try:
        scrubbed = scrub(cut_for_scrubbing(to_json_safe(context), limits, cuts))
    except Exception as problem:
        scrubbed = _unreadable(problem)
    return bound_context(scrubbed, limits, cuts)


def _unreadable(problem: Exception) -> dict[str, str]:
    return {"unreadable_context": f"{type(problem).__name__}: {safe_str(problem)}"}


MAX_CLEAN_KEYS = 4096


@functools.lru_cache(maxsize=16)
def clean_keys(pattern: re.Pattern[str], limits: Limits) -> set[str]:
    """Keys found plain under ``pattern`` and kept as they are under ``limits`` (short,
    ASCII, within the value limit, no NUL where NUL is replaced): the same few dozen come
    back with every error, and each then costs a set lookup."""
    return set()


class KeysMerged(Exception):
    """Two keys of one mapping became one once cut or sanitised."""


class _Walk:
    """One context's walk: the budget it spends cutting texts (in the order
    ``cut_for_scrubbing`` spends it: each key, then its value, depth first) and the
    characters cut so far.

    ``raw`` values are the caller's, still to be converted as ``to_json_safe`` would;
    the others are already its result. A value that is not ``whole`` (under a secret key:
    stored as FILTERED) is only cut, for the budget and the cuts its cutting spends."""

    def __init__(self, limits: Limits) -> None:
        self.value_limit = limits.context_value
        self.keep_nul = limits.keep_nul
        self.longest = limits.context_value + SCRUB_MARGIN
        self.budget = READ_AHEAD * limits.context
        self.cuts: list[int] = []
        # What json_length_at_most counts: characters of the texts stored (keys included;
        # some twice), and the keys and values stored.
        self.stored_characters = 0
        self.stored_values = 0
        self.pattern = secret_key_pattern()
        self.known = remembered_key_kinds(self.pattern)
        self.clean_keys = clean_keys(self.pattern, limits)

    def value(self, value: Any, depth: int, path: set[int], *, raw: bool, whole: bool) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value, whole=whole)
        if kind is dict or kind is list or (raw and kind is tuple):
            if raw and depth >= MAX_DEPTH:
                return self.text(MAX_DEPTH_TEXT, whole=whole)
            if raw and id(value) in path:
                return self.text(CYCLE_TEXT, whole=whole)
            path.add(id(value))
            try:
                if kind is dict:
                    return self.mapping(value, depth + 1, path, raw=raw, whole=whole)
                self.stored_values += len(value)
                return [self.value(item, depth + 1, path, raw=raw, whole=whole) for item in value]
            finally:
                path.discard(id(value))
        if value is None or kind is bool:
            return value
        if kind is int or not raw:  # to_json_safe keeps ints, floats and int subclasses
            if isinstance(value, int) and not MIN_JSON_INT <= value <= MAX_JSON_INT:
                return f"<integer of {value.bit_length()} bits>"
            return value
        converted = to_json_safe(value, _depth=depth, _seen=frozenset(path))
        return self.value(converted, depth, path, raw=False, whole=whole)

    def mapping(
        self, mapping: dict, depth: int, path: set[int], *, raw: bool, whole: bool
    ) -> dict[str, Any]:
        """A mapping's items, at ``depth`` (its values'): keys as text, the last of equal
        keys winning in the first one's place, as in a dict display. Two keys that become
        one later (cut, sanitised) meet in ``result``: KeysMerged.

        Most items are a key stored unchanged before (``clean_keys``) with a text or an
        integer: those are done here, without the calls ``key``, ``value``, ``text`` and
        ``bound`` would make for each (what they do is written out in the same order)."""
        if raw and not TEXT_ONLY.issuperset(map(type, mapping)):
            mapping = {safe_str(key): item for key, item in list(mapping.items())}
        result: dict[str, Any] = {}
        if not whole:
            for key, item in list(mapping.items()):
                self.cut(key)
                self.value(item, depth, path, raw=raw, whole=False)
            return result
        self.stored_values += 2 * len(mapping)
        characters = sum(map(len, mapping))  # the keys stored are no longer
        clean, pattern, value_limit, keep_nul = (
            self.clean_keys,
            self.pattern,
            self.value_limit,
            self.keep_nul,
        )
        for key, item in list(mapping.items()):
            if key in clean:  # plain, and stored as it is: only its length to spend
                self.budget -= len(key)
                kind = PLAIN
            else:
                key, kind = self.key(key)
            item_type = type(item)
            if kind is not PLAIN:
                item = self.special(kind, item, depth, path, raw=raw)
            elif item_type is str:
                if len(item) <= SHORT_TEXT:
                    self.budget -= len(item)
                else:
                    item = self.cut(item)
                if len(item) >= SCRUB_MIN_LENGTH:
                    item = scrub_text(item, pattern)
                if not (
                    len(item) <= value_limit and item.isascii() and (keep_nul or "\x00" not in item)
                ):
                    item = self.bound(item)
                characters += len(item)
            elif item_type is int:
                if not MIN_JSON_INT <= item <= MAX_JSON_INT:
                    item = f"<integer of {item.bit_length()} bits>"
            elif item is not None and item_type is not bool:
                item = self.value(item, depth, path, raw=raw, whole=True)
            if key in result:
                raise KeysMerged
            result[key] = item
        self.stored_characters += characters
        return result

    def key(self, key: str) -> tuple[str, str]:
        """A key cut, its kind read, then bounded; remembered in ``clean_keys`` when none
        of the three changes it and it is plain."""
        cut = self.cut(key)
        kind = key_kind(cut, self.pattern, self.known)
        stored = self.bound(cut)
        if kind is PLAIN and stored is key and len(key) <= SHORT_TEXT:
            if len(self.clean_keys) >= MAX_CLEAN_KEYS:
                self.clean_keys.clear()
            self.clean_keys.add(key)
        return stored, kind

    def special(self, kind: str, item: Any, depth: int, path: set[int], *, raw: bool) -> Any:
        """The value of a secret key (cut for the budget, stored as FILTERED) or of a
        query-string key."""
        if kind is SECRET:
            self.value(item, depth, path, raw=raw, whole=False)
            return self.bound(FILTERED)
        return self.query(item, depth, path, raw=raw)

    def query(self, item: Any, depth: int, path: set[int], *, raw: bool) -> Any:
        """The value of a query-string key: a text scrubbed parameter by parameter."""
        if raw and type(item) is not str:
            item, raw = to_json_safe(item, _depth=depth, _seen=frozenset(path)), False
        if type(item) is str:
            return self.bound(scrub_query_string(self.cut(item), self.pattern))
        return self.value(item, depth, path, raw=raw, whole=True)

    def text(self, text: str, *, whole: bool) -> str | None:
        """A text cut for the scrubber, then (when ``whole``) scrubbed and bounded."""
        if len(text) <= SHORT_TEXT:  # kept whole, whatever the budget (as cut would)
            self.budget -= len(text)
        else:
            text = self.cut(text)
        if not whole:
            return None
        return self.bound(scrub_text(text, self.pattern))

    def cut(self, text: str) -> str:
        """What ``cut_for_scrubbing`` makes of one text, spending its budget."""
        length = len(text)
        if length <= SHORT_TEXT:
            self.budget -= length
            return text
        kept = length if length < self.longest else self.longest
        if kept > SHORT_TEXT and kept > self.budget:
            self.cuts.append(length - MARKER_LENGTH)
            return TRUNCATION_MARKER
        self.budget -= kept
        if kept < length:
            self.cuts.append(length - kept)
            return text[:kept]
        return text

    def bound(self, text: str) -> str:
        """What ``bound_json`` makes of one text: sanitised and cut to the value limit."""
        if len(text) > self.value_limit:
            text, original = bound_text(text, self.value_limit, keep_nul=self.keep_nul)
            self.cuts.append(original - len(text))
        elif not (text.isascii() and (self.keep_nul or "\x00" not in text)):
            text = sanitize_text(text, keep_nul=self.keep_nul)
        self.stored_characters += len(text)
        return text

    def json_length_at_most(self) -> int:
        """More than ``fit_context`` measures of the context stored (its entries as JSON,
        ASCII-escaped): a text takes at most 12 characters per character (one outside the
        BMP is two ``\\uXXXX``) and 2 quotes; each key and value at most 64 more (quotes, a
        separator, a number's digits, a bracket, the too-wide integer's text). Every text
        stored passes through ``bound`` or is counted in ``mapping``."""
        return 12 * self.stored_characters + 64 * self.stored_values
