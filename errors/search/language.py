"""The search language: a user's text read as words, "quoted phrases" and prefix* words
(SearchTerm, parse_search), and written out in each index's query syntax (FTS5 MATCH,
PostgreSQL tsquery), prefixes expanded to the indexed words they start on PostgreSQL."""

import dataclasses
import re

from django.contrib.postgres.search import SearchQuery
from django.db import connections

# Letters and digits, as FTS5's unicode61 tokenizer and PostgreSQL's parser (after the
# index replaced punctuation by spaces) both read them.
WORD = re.compile(r"[^\W_]+")
CHUNK = re.compile(r'"([^"]*)"?|([^\s"]+)')
MAX_TERMS = 16
MAX_WORD_LENGTH = 100
MAX_PREFIX_WORDS = 32


@dataclasses.dataclass(frozen=True)
class SearchTerm:
    """Words that must appear next to each other; the last may be a prefix."""

    words: tuple[str, ...]
    is_prefix: bool = False
    # On PostgreSQL, the indexed words a prefix stands for (see expand_prefixes).
    completions: tuple[str, ...] | None = None


def parse_search(text: str) -> list[SearchTerm]:
    """The terms of a user's search text: words, "quoted phrases" and prefix* words. A
    word joined by punctuation (``push_invoice``, ``INV-7``) is a phrase of its parts, the
    way both indexes store it."""
    terms: list[SearchTerm] = []
    for phrase, bare in CHUNK.findall((text or "").replace("\x00", " ")):
        chunk = phrase or bare
        words = tuple(word.lower() for word in WORD.findall(chunk) if len(word) <= MAX_WORD_LENGTH)
        if words:
            terms.append(SearchTerm(words, is_prefix=bool(bare) and bare.endswith("*")))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def to_fts5_query(terms: list[SearchTerm]) -> str:
    """FTS5 MATCH syntax: every term a double-quoted string (words are letters and digits
    only, so nothing inside can break out), ANDed."""
    return " ".join(f'"{" ".join(t.words)}"' + ("*" if t.is_prefix else "") for t in terms)


def to_tsquery(terms: list[SearchTerm]) -> str:
    """PostgreSQL ``to_tsquery`` syntax: phrases with ``<->``, prefixes with ``:*``, ANDed."""
    rendered = []
    for term in terms:
        words = [_tsquery_word(word) for word in term.words]
        if term.completions:
            words[-1] = "(" + " | ".join(_tsquery_word(word) for word in term.completions) + ")"
        elif term.is_prefix:
            words[-1] += ":*"
        rendered.append("(" + " <-> ".join(words) + ")")
    return " & ".join(rendered)


def _tsquery_word(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def expand_prefixes(alias: str, terms: list[SearchTerm]) -> list[SearchTerm] | None:
    """The terms with each prefix replaced by the indexed words it starts, when there are at
    most MAX_PREFIX_WORDS of them (errors/migrations/0001_squashed_0011_errors.py keeps the words);
    None when a prefix starts no indexed word, so nothing can match. GIN answers whole words
    several times faster than a prefix, which it must read into a bitmap word by word."""
    expanded = []
    with connections[alias].cursor() as cursor:
        for term in terms:
            if term.is_prefix:
                cursor.execute(
                    "SELECT word FROM errors_apperror_search_word WHERE word LIKE %s "
                    "ORDER BY word LIMIT %s",
                    [term.words[-1] + "%", MAX_PREFIX_WORDS + 1],
                )
                words = tuple(row[0] for row in cursor.fetchall())
                if not words:
                    return None
                if len(words) <= MAX_PREFIX_WORDS:
                    term = dataclasses.replace(term, completions=words)
            expanded.append(term)
    return expanded


def to_search_query(terms: list[SearchTerm]) -> SearchQuery:
    """The terms as a raw ``simple`` SearchQuery, for the ORM's ``@@`` and ``ts_headline``."""
    return SearchQuery(to_tsquery(terms), search_type="raw", config="simple")
