"""Secrets never stored: scrub an error's context before it reaches the database.

A value under a key that looks like a secret becomes ``"[Filtered]"``, at any depth, inside
lists too; query strings are scrubbed parameter by parameter; card numbers (digit runs that
pass the Luhn check) are masked inside any string. Keys match case-insensitively by
substring, so ``X-Auth-Token``, ``db_password`` and ``SessionId`` are all caught. Extend the
list with ``APP_ERRORS["SCRUB_KEYS"]``.

The message and trace are not scrubbed: they are the failure itself, and scanning multi-KB
traces on every error would cost more than the rest of the write.
"""

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from errors.conf import app_errors_setting

FILTERED = "[Filtered]"
DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "csrf",
)
QUERY_STRING_KEYS = frozenset({"query_string", "querystring", "query"})
# 13 to 19 digits, optionally grouped by single spaces or dashes, not part of a longer number.
CARD_CANDIDATE = re.compile(r"(?<![0-9-])[0-9](?:[ -]?[0-9]){12,18}(?![0-9-])")
CARD_MIN_LENGTH = 13


@functools.lru_cache(maxsize=8)
def _secret_key_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({normalize_key(key) for key in keys if key}, key=len, reverse=True)
    return re.compile("|".join(re.escape(key) for key in alternatives))


def secret_key_pattern() -> re.Pattern[str]:
    """The default secret keys plus ``APP_ERRORS["SCRUB_KEYS"]``, compiled once."""
    extra = tuple(app_errors_setting("SCRUB_KEYS") or ())
    return _secret_key_pattern(DEFAULT_SECRET_KEYS + extra)


def normalize_key(key: str) -> str:
    """Lower case, dashes as underscores: ``X-Api-Key`` and ``x_api_key`` match alike."""
    return key.lower().replace("-", "_")


def is_secret_key(key: str, pattern: re.Pattern[str] | None = None) -> bool:
    return (pattern or secret_key_pattern()).search(normalize_key(key)) is not None


def scrub(value: Any, pattern: re.Pattern[str] | None = None) -> Any:
    """JSON-safe data (dicts with string keys, lists, scalars) with secrets filtered."""
    pattern = pattern or secret_key_pattern()
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        scrubbed = {}
        for key, item in value.items():
            normalized = normalize_key(key)
            if pattern.search(normalized):
                scrubbed[key] = FILTERED
            elif normalized in QUERY_STRING_KEYS and isinstance(item, str):
                scrubbed[key] = scrub_query_string(item, pattern)
            else:
                scrubbed[key] = scrub(item, pattern)
        return scrubbed
    if isinstance(value, list):
        return [scrub(item, pattern) for item in value]
    return value


def scrub_query_string(query: str, pattern: re.Pattern[str] | None = None) -> str:
    """``a=1&token=x`` as ``a=1&token=%5BFiltered%5D``; untouched when nothing is secret."""
    pattern = pattern or secret_key_pattern()
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(pattern.search(normalize_key(name)) for name, _ in pairs):
        return mask_card_numbers(query)
    return urlencode(
        [
            (name, FILTERED if pattern.search(normalize_key(name)) else mask_card_numbers(item))
            for name, item in pairs
        ]
    )


def mask_card_numbers(text: str) -> str:
    """Every Luhn-valid card-like digit run in ``text`` replaced by ``[Filtered]``."""
    if len(text) < CARD_MIN_LENGTH:
        return text
    return CARD_CANDIDATE.sub(_mask_if_card, text)


def _mask_if_card(match: re.Match[str]) -> str:
    digits = [int(char) for char in match.group() if char not in " -"]
    return FILTERED if passes_luhn(digits) else match.group()


def passes_luhn(digits: list[int]) -> bool:
    """The checksum every payment card number satisfies."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
