"""Secrets never stored: scrub an error's context before it reaches the database.

Two passes, both over every key and string of the context (the request's included):

- By key: a value under a key that looks like a secret becomes ``"[Filtered]"``, at any
  depth, inside lists too. Keys match case-insensitively by substring, with ``-``, ``_`` and
  spaces alike, so ``X-Api-Key``, ``db_password``, ``SessionId`` and ``accessToken`` are all
  caught. The names are those mature SDKs filter (Sentry's denylist and its server-side
  rules); extend them with ``APP_ERRORS["SCRUB_KEYS"]``.
- By value: credentials inside a string are filtered and the rest kept, so the text still
  says what it was about: the password of a URL or DSN (``postgres://app:[Filtered]@db/x``
  keeps its host), query parameters such as ``token=``, ``key=`` and ``signature=``,
  ``Bearer`` tokens, and card numbers (13 to 19 digits that pass the Luhn check). Query
  strings are scrubbed parameter by parameter.

It runs on every stored error, so each value pattern only runs on a string that holds the
character it needs (``://``, ``=``, "earer", a digit run long enough to be a card).

The message and trace are not scrubbed: they are the failure itself, and scanning multi-KB
traces on every error would cost more than the rest of the write.
"""

import functools
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from errors.conf import app_errors_setting

FILTERED = "[Filtered]"
# Substrings of a normalized key (lower case, "_" for "-" and " ") whose value is a secret.
DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "api_key",
    "apikey",
    "auth",
    "credential",
    "token",
    "bearer",
    "jwt",
    "session",
    "sessid",
    "cookie",
    "private_key",
    "privatekey",
    "mysql_pwd",
    "csrf",
    "xsrf",
    "signature",
    "connect.sid",
)
# "auth" is a secret (oauth_state, x_auth, authorization) but "author" is a name.
KEY_PATTERNS = {"auth": r"auth(?!or(?!i[sz]))"}
# Query parameters filtered by their exact (normalized) name, too short to match as parts.
SECRET_PARAMETERS = frozenset({"key", "sig"})
QUERY_STRING_KEYS = frozenset({"query_string", "querystring", "query"})
# scheme://user:password@host: the password, up to the "@" of the authority. Each part is
# bounded: an unbounded scheme made "a.a.a.a…://" quadratic (110 ms for 17 KB).
URL_CREDENTIALS = re.compile(
    r"(\b[A-Za-z][A-Za-z0-9+.\-]{0,31}://[^\s:/?#@]{0,256}:)[^\s/?#@]{1,256}@"
)
# name=value (a value, not an empty one) at the start of a text, after ?, &, ; or space.
PARAMETER = re.compile(r"(?:^|(?<=[?&;\s]))([\w.\-\[\]]+)=([^&\s#;\"']+)")
BEARER = re.compile(r"(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE)
# 13 to 19 digits, optionally grouped by single spaces or dashes, not part of a longer number.
CARD_CANDIDATE = re.compile(r"(?<![0-9-])[0-9](?:[ -]?[0-9]){12,18}(?![0-9-])")
CARD_MIN_LENGTH = 13
# What every card candidate starts with: a cheaper search (no look-behind) that rules
# most texts out before CARD_CANDIDATE runs.
CARD_DIGITS = re.compile(r"[0-9](?:[ -]?[0-9]){12}")
# Shorter texts hold none of the credentials scrub_text looks for.
SCRUB_MIN_LENGTH = 8


@functools.lru_cache(maxsize=8)
def _secret_key_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({normalize_key(key) for key in keys if key}, key=len, reverse=True)
    return re.compile("|".join(KEY_PATTERNS.get(key, re.escape(key)) for key in alternatives))


def secret_key_pattern() -> re.Pattern[str]:
    """The default secret keys plus ``APP_ERRORS["SCRUB_KEYS"]``, compiled once."""
    extra = tuple(app_errors_setting("SCRUB_KEYS") or ())
    return _secret_key_pattern(DEFAULT_SECRET_KEYS + extra)


def normalize_key(key: str) -> str:
    """Lower case, dashes and spaces as underscores: ``X-Api-Key`` and ``x_api_key`` match
    alike."""
    return key.lower().replace("-", "_").replace(" ", "_")


def is_secret_key(key: str, pattern: re.Pattern[str] | None = None) -> bool:
    return (pattern or secret_key_pattern()).search(normalize_key(key)) is not None


def is_secret_parameter(name: str, pattern: re.Pattern[str] | None = None) -> bool:
    """A query parameter whose value is a credential: a secret key, or exactly ``key`` or
    ``sig`` (API keys, signed URLs)."""
    normalized = normalize_key(name)
    return (
        normalized in SECRET_PARAMETERS
        or (pattern or secret_key_pattern()).search(normalized) is not None
    )


SECRET, QUERY_STRING, PLAIN = "secret", "query string", "plain"
MAX_REMEMBERED_KEYS, MAX_REMEMBERED_KEY_LENGTH = 4096, 100


@functools.lru_cache(maxsize=8)
def remembered_key_kinds(pattern: re.Pattern[str]) -> dict[str, str]:
    """The kinds ``key_kind`` has found for keys under ``pattern``, kept per pattern."""
    return {}


def key_kind(key: str, pattern: re.Pattern[str], known: dict[str, str] | None = None) -> str:
    """Whether a context key holds a secret, a query string, or anything else. Remembered
    in ``known``: the same few dozen keys come back with every error, and normalizing and
    matching each again was a third of the scrubbing time."""
    if known is not None and key in known:
        return known[key]
    normalized = normalize_key(key)
    if pattern.search(normalized):
        kind = SECRET
    else:
        kind = QUERY_STRING if normalized in QUERY_STRING_KEYS else PLAIN
    if known is not None and len(key) <= MAX_REMEMBERED_KEY_LENGTH:
        if len(known) >= MAX_REMEMBERED_KEYS:  # a context with ever-new keys: start over
            known.clear()
        known[key] = kind
    return kind


def scrub(value: Any, pattern: re.Pattern[str] | None = None) -> Any:
    """JSON-safe data (dicts with string keys, lists, scalars) with secrets filtered."""
    pattern = pattern or secret_key_pattern()
    return _scrub(value, pattern, remembered_key_kinds(pattern))


def _scrub(value: Any, pattern: re.Pattern[str], known: dict[str, str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, pattern)
    if isinstance(value, dict):
        scrubbed = {}
        for key, item in value.items():
            kind = key_kind(key, pattern, known)
            if kind is SECRET:
                scrubbed[key] = FILTERED
            elif kind is QUERY_STRING and isinstance(item, str):
                scrubbed[key] = scrub_query_string(item, pattern)
            else:
                scrubbed[key] = _scrub(item, pattern, known)
        return scrubbed
    if isinstance(value, list):
        return [_scrub(item, pattern, known) for item in value]
    return value


def scrub_text(text: str, pattern: re.Pattern[str] | None = None) -> str:
    """``text`` with the credentials inside it filtered and everything else kept: URL and
    DSN passwords, secret query parameters, Bearer tokens, card numbers."""
    if len(text) < SCRUB_MIN_LENGTH:  # too short to hold any of them
        return text
    if "://" in text:
        text = URL_CREDENTIALS.sub(rf"\1{FILTERED}@", text)
    if "=" in text:
        pattern = pattern or secret_key_pattern()
        text = PARAMETER.sub(lambda match: _filter_parameter(match, pattern), text)
    if "earer" in text or "EARER" in text:
        text = BEARER.sub(rf"\1{FILTERED}", text)
    return mask_card_numbers(text)


def _filter_parameter(match: re.Match[str], pattern: re.Pattern[str]) -> str:
    name, value = match.group(1), match.group(2)
    if value != FILTERED and is_secret_parameter(name, pattern):
        return f"{name}={FILTERED}"
    return match.group()


def scrub_query_string(query: str, pattern: re.Pattern[str] | None = None) -> str:
    """``a=1&token=x`` as ``a=1&token=%5BFiltered%5D``, each other value scrubbed as text;
    returned as it came when nothing in it is secret."""
    pattern = pattern or secret_key_pattern()
    pairs = parse_qsl(query, keep_blank_values=True)
    cleaned = [
        (name, FILTERED if is_secret_parameter(name, pattern) else scrub_text(item, pattern))
        for name, item in pairs
    ]
    return query if cleaned == pairs else urlencode(cleaned)


def mask_card_numbers(text: str) -> str:
    """Every Luhn-valid card-like digit run in ``text`` replaced by ``[Filtered]``."""
    if len(text) < CARD_MIN_LENGTH or CARD_DIGITS.search(text) is None:
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
